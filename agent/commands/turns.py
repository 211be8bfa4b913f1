"""`codex-agent ask` and `codex-agent chat`: turns from the command line.

The answer goes to stdout; notices, prompts and errors to stderr. When the primary answers, its
text streams as it arrives. Once anything failed in a turn, the rest of that turn's answer is
held back until the notice has been printed, so the notice always comes before the answer it
explains. Exit status of `ask`: 0 with an answer, 1 without (never an empty answer).

The turn machinery (httpx, websockets) is imported when a turn runs, not for `ask --help`.
"""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING, Any, TextIO

from agent.commands.output import report_error

if TYPE_CHECKING:
    import argparse

    from agent.errors import AgentError
    from agent.turns.conversation import Conversation, TurnResult
    from agent.turns.runtime import TurnRuntime

EXIT_NO_ANSWER = 1
CHAT_EXIT_WORDS = {"/exit", "/quit"}


def register(subparsers: Any) -> None:
    ask = subparsers.add_parser(
        "ask",
        help="answer one prompt (stdout) and exit",
        description="Answer one prompt on stdout. Notices about failed providers go to stderr.",
    )
    ask.add_argument("prompt", nargs="*", help="the prompt (read from stdin when absent or '-')")
    ask.add_argument("--session", metavar="ID", help="continue the session with this id")
    ask.add_argument(
        "--json",
        action="store_true",
        help="print {reply, provider, answered_by, stop_reason, notice, errors, session_id, "
        "log_error} as JSON instead of the text",
    )
    ask.set_defaults(func=cmd_ask, short_lived=True)  # one turn, then exit

    chat = subparsers.add_parser(
        "chat",
        help="an interactive conversation (ends on EOF or /exit)",
        description="Talk with the agent; each line is a turn. Ends on EOF (Ctrl-D) or /exit.",
    )
    chat.add_argument("--session", metavar="ID", help="continue the session with this id")
    chat.set_defaults(func=cmd_chat)


class TerminalSink:
    """Streams the answer to a terminal as it arrives, until the turn has had a failure.

    Into a pipe or a file the answer is written once, complete, so that a script reading
    stdout gets exactly the answer and never a cut-off fragment.
    """

    def __init__(self, out: TextIO) -> None:
        self.out = out
        self.live = _is_terminal(out)
        self.wrote_live = False

    def delta(self, text: str) -> None:
        if self.live:
            self.out.write(text)
            self.out.flush()
            self.wrote_live = True

    def failed(self, provider: str, error: AgentError, *, discarded: bool) -> None:
        del provider, error
        if discarded and self.live and self.wrote_live:
            # The cut-off text is already on the screen: end its line; the notice explains it.
            self.out.write("\n")
            self.out.flush()
        self.live = False

    def finish(self, result: TurnResult, err: TextIO) -> None:
        if result.log_error:
            err.write(f"warning: the session log could not be written: {result.log_error}\n")
        if result.notice:
            err.write(result.notice + "\n")
            err.flush()
        if result.reply is None:
            return
        if not (self.live and self.wrote_live):
            # Not streamed, or what was streamed belonged to a failed attempt: write it whole.
            self.out.write(result.reply)
        if not result.reply.endswith("\n"):
            self.out.write("\n")
        self.out.flush()


def _is_terminal(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


class _Silent:
    def delta(self, text: str) -> None:
        del text

    def failed(self, provider: str, error: AgentError, *, discarded: bool) -> None:
        del provider, error, discarded


def _runtime() -> TurnRuntime:
    from agent.config import load_config
    from agent.turns.runtime import build_runtime

    return build_runtime(load_config(os.environ))


def _prompt_from(args: argparse.Namespace) -> str | None:
    words: list[str] = args.prompt
    if not words or words == ["-"]:
        if sys.stdin.isatty() and not words:
            return None
        return sys.stdin.read().rstrip("\r\n")
    return " ".join(words)


def cmd_ask(args: argparse.Namespace) -> int:
    import json

    prompt = _prompt_from(args)
    if prompt is None or not prompt.strip():
        print("error: nothing to ask: give a prompt, or pipe one on stdin", file=sys.stderr)
        return 2
    from agent.errors import AgentError
    from agent.turns.conversation import Conversation
    from agent.turns.session_log import InvalidSessionId

    try:
        with _runtime() as runtime:
            conversation = Conversation(runtime, args.session, origin="ask")
            if args.json:
                result = conversation.ask(prompt, _Silent())
                print(json.dumps(_json_result(result, conversation.session_id), indent=2))
            else:
                sink = TerminalSink(sys.stdout)
                result = conversation.ask(prompt, sink)
                sink.finish(result, sys.stderr)
    except InvalidSessionId as exc:
        print(f"error: --session: {exc}", file=sys.stderr)
        return 2
    except AgentError as error:
        return report_error(error)
    except KeyboardInterrupt:
        print("\ninterrupted: no answer", file=sys.stderr)
        return 130
    return 0 if result.reply is not None else EXIT_NO_ANSWER


def _json_result(result: TurnResult, session_id: str) -> dict[str, Any]:
    return {
        "reply": result.reply,
        "provider": result.outcome.completion.provider if result.outcome.completion else None,
        "answered_by": result.answered_by,
        "stop_reason": result.record["stop_reason"],
        "notice": result.notice,
        "errors": result.errors,
        "session_id": session_id,
        "log_error": result.log_error,
    }


def cmd_chat(args: argparse.Namespace) -> int:
    from agent.errors import AgentError
    from agent.turns.conversation import Conversation
    from agent.turns.session_log import InvalidSessionId

    try:
        with _runtime() as runtime:
            conversation = Conversation(runtime, args.session, origin="chat")
            return _chat_loop(conversation, sys.stdin, sys.stdout, sys.stderr)
    except InvalidSessionId as exc:
        print(f"error: --session: {exc}", file=sys.stderr)
        return 2
    except AgentError as error:
        return report_error(error)


def _chat_loop(conversation: Conversation, inp: TextIO, out: TextIO, err: TextIO) -> int:
    from agent.errors import AgentError

    interactive = inp.isatty()
    if interactive:
        try:
            import readline  # noqa: F401  (line editing and history for input())
        except ImportError:
            pass
    err.write(
        f"codex-agent chat (session {conversation.session_id}); "
        "Ctrl-D or /exit to leave, Ctrl-C to stop a turn\n"
    )
    err.flush()
    while True:
        try:
            line = input("you> ") if interactive else inp.readline()
        except EOFError:
            break
        except KeyboardInterrupt:
            err.write("\n")
            return 130
        if not interactive and line == "":
            break
        prompt = line.strip()
        if not prompt:
            continue
        if prompt in CHAT_EXIT_WORDS:
            break
        sink = TerminalSink(out)
        try:
            result = conversation.ask(prompt, sink)
        except KeyboardInterrupt:
            err.write("\n(turn interrupted)\n")
            continue
        except AgentError as error:
            report_error(error)
            continue
        sink.finish(result, err)
    if interactive:
        err.write("\n")
    return 0

"""The task definition registered with `schtasks /Create /XML`: UTF-16 with a byte-order mark.

At logon of the installing user (after a short delay), run the wrapper through cmd.exe; restart
every minute on failure, many times; no execution time limit; keep running on batteries; one
instance at a time; start a missed run as soon as possible.
"""

from __future__ import annotations

from dataclasses import dataclass
from xml.sax.saxutils import escape

from agent.winservice.errors import refuse_control_characters
from agent.winservice.quoting_tr import refuse_expansion

NAMESPACE = "http://schemas.microsoft.com/windows/2004/02/mit/task"
LOGON_DELAY = "PT30S"
RESTART_INTERVAL = "PT1M"
RESTART_COUNT = 999  # the largest count Task Scheduler accepts


@dataclass(frozen=True)
class TaskAction:
    command: str
    arguments: str
    working_directory: str


def _value(value: str, role: str) -> str:
    refuse_control_characters(value, role)
    return escape(value, {'"': "&quot;"})


def render(
    *, task_name: str, user_id: str, home: str, action: TaskAction, role: str = "gateway"
) -> str:
    refuse_expansion(action.command, "task program")
    refuse_expansion(action.arguments, "task arguments")
    refuse_expansion(action.working_directory, "task working folder (the home)")
    user = _value(user_id, "user name (USERDOMAIN\\USERNAME)")
    return f"""<?xml version="1.0" encoding="UTF-16"?>
<Task version="1.2" xmlns="{NAMESPACE}">
  <RegistrationInfo>
    <Author>{user}</Author>
    <Description>codex-agent {role} for {_value(home, "home folder")}</Description>
    <URI>\\{_value(task_name, "task name")}</URI>
  </RegistrationInfo>
  <Triggers>
    <LogonTrigger>
      <Enabled>true</Enabled>
      <UserId>{user}</UserId>
      <Delay>{LOGON_DELAY}</Delay>
    </LogonTrigger>
  </Triggers>
  <Principals>
    <Principal id="Author">
      <UserId>{user}</UserId>
      <LogonType>InteractiveToken</LogonType>
      <RunLevel>LeastPrivilege</RunLevel>
    </Principal>
  </Principals>
  <Settings>
    <MultipleInstancesPolicy>IgnoreNew</MultipleInstancesPolicy>
    <DisallowStartIfOnBatteries>false</DisallowStartIfOnBatteries>
    <StopIfGoingOnBatteries>false</StopIfGoingOnBatteries>
    <AllowHardTerminate>true</AllowHardTerminate>
    <StartWhenAvailable>true</StartWhenAvailable>
    <RunOnlyIfNetworkAvailable>false</RunOnlyIfNetworkAvailable>
    <IdleSettings>
      <StopOnIdleEnd>false</StopOnIdleEnd>
      <RestartOnIdle>false</RestartOnIdle>
    </IdleSettings>
    <AllowStartOnDemand>true</AllowStartOnDemand>
    <Enabled>true</Enabled>
    <Hidden>false</Hidden>
    <RunOnlyIfIdle>false</RunOnlyIfIdle>
    <WakeToRun>false</WakeToRun>
    <ExecutionTimeLimit>PT0S</ExecutionTimeLimit>
    <Priority>7</Priority>
    <RestartOnFailure>
      <Interval>{RESTART_INTERVAL}</Interval>
      <Count>{RESTART_COUNT}</Count>
    </RestartOnFailure>
  </Settings>
  <Actions Context="Author">
    <Exec>
      <Command>{_value(action.command, "task program")}</Command>
      <Arguments>{_value(action.arguments, "task arguments")}</Arguments>
      <WorkingDirectory>{_value(action.working_directory, "home folder")}</WorkingDirectory>
    </Exec>
  </Actions>
</Task>
"""


def encode(xml: str) -> bytes:
    """UTF-16 little-endian with its byte-order mark, CRLF lines, as Task Scheduler exports."""
    return b"\xff\xfe" + xml.replace("\n", "\r\n").encode("utf-16-le")

"""The macOS backend: a launchd agent in `~/Library/LaunchAgents/`, loaded into the user's GUI
domain with `launchctl bootstrap gui/<uid>`. `plist` writes the property list, `launchctl`
makes and classifies the calls, `service` puts them together."""

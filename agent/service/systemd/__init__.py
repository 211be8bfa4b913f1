"""The Linux backend: a systemd user unit in `~/.config/systemd/user/`, managed with
`systemctl --user`. `unit` writes the file (systemd's quoting and `%` specifier rules),
`systemctl` makes and classifies the calls, `service` puts them together."""

#!/bin/sh
# After Haven is laid out (by the package's postinst or install.sh): state directory,
# enable the service, and when systemd runs, (re)start it and tell the admin how to go on.
set -e

mkdir -p /var/lib/haven
chmod 0750 /var/lib/haven

if command -v deb-systemd-helper >/dev/null 2>&1; then
  deb-systemd-helper unmask havend.service >/dev/null || true
  deb-systemd-helper enable havend.service >/dev/null || true
elif command -v systemctl >/dev/null 2>&1; then
  systemctl enable havend.service >/dev/null 2>&1 || true
fi

if [ ! -d /run/systemd/system ]; then
  echo "haven: installed; systemd is not running here, so havend was enabled but not started"
  exit 0
fi

systemctl daemon-reload
systemctl restart havend.service
if /opt/haven/bin/havend info --config /etc/haven/havend.json --wait 60; then
  echo
  echo "Haven is running. Open the URL above in a browser; it will warn about the self-signed"
  echo "certificate: accept it only if the fingerprint it shows matches the one above. Then"
  echo "create the admin account with the setup code above (printed until an admin exists)."
  echo "Create a client token: havend token create --data /var/lib/haven --scope backup:GROUP"
else
  echo "haven: havend did not answer within 60 s; see: journalctl -u havend" >&2
  exit 1
fi

#!/bin/sh
# Renders the hotline configuration into /etc/asterisk, then hands over to the base
# image's own entrypoint (uid/gid adaptation) or straight to the command.
set -eu
/usr/local/bin/render-config.sh /etc/hotline/asterisk /etc/hotline/dialplans --dest /etc/asterisk
# Secrets are readable by Asterisk's group only.
chown -R root:asterisk /etc/asterisk
for f in ari.conf manager.conf pjsip.conf pjsip_trunk.conf pjsip_nodes.conf; do chmod 0640 "/etc/asterisk/$f"; done
if [ -x /usr/local/bin/entrypoint.sh ]; then
    exec /usr/local/bin/entrypoint.sh "$@"
fi
exec "$@"

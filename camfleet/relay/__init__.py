"""Relays from Alertmanager to chat services it cannot reach by itself (钉钉 / DingTalk robots: a signed URL
and their own JSON body). Not part of the poller: `camfleet relay dingtalk` runs beside Alertmanager."""

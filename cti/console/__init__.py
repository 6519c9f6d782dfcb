"""What the console is told and in which words: the message types (messages), the one notifier
every part of the service publishes through (notifier), the fan-out to connected consoles with
replay (hub), and the Russian labels and JSON shapes of journal rows (labels, serialize)."""

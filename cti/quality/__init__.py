"""After the call: rating calls to residents (feedback), residents' status notifications
(notify) and the periodic tasks that run them (tasks)."""

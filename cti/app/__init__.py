"""The composition root and the entry points: `hotline` (cli), `compose(settings)` (runtime),
the service, the transcription worker, backups, the demo data and the one-instance lock."""

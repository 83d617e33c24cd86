"""The sweep: scorecard reminders, escalations, interim updates and the duty to inform, run
every few minutes by ``flask sweep``."""

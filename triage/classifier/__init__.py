"""The triage classifier: text pipeline, training, evaluation, artifacts."""

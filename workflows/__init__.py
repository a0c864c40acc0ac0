"""What a workflow is (definitions) and how one runs (engine, actions, REST API)."""

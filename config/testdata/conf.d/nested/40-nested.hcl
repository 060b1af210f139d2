log_level = "nested-is-not-read"

# The alert rules every agent has unless alerting { default_rules = false }.
# An alert block of the same name replaces one; disabled = true turns it off.

alert "platform-unauthorized" {
  expr     = platform_state(".*", "unauthorized")
  severity = "critical"
  annotations {
    summary = "The platform refused the account's credentials; calls fail until the platform block is fixed and reloaded."
  }
}

alert "platform-failed" {
  expr     = platform_state(".*", "failed")
  for      = "1m"
  severity = "critical"
  annotations {
    summary = "The platform's plugin is failed: it refused its config or kept crashing past its restart policy."
  }
}

alert "platform-error-rate" {
  expr            = error_rate(".*", "5m") > 0.2 && calls(".*", "5m") >= 20
  for             = "5m"
  keep_firing_for = "5m"
  severity        = "warning"
  annotations {
    summary = "More than 20 % of the platform's calls failed over 5 minutes."
  }
}

alert "platform-breaker-open" {
  expr     = breaker_open(".*")
  for      = "2m"
  severity = "warning"
  annotations {
    summary = "The platform's circuit breaker has been open for 2 minutes: its jobs are paused."
  }
}

alert "platform-rate-limited" {
  expr     = rate_limited_share(".*", "10m") > 0.3
  for      = "10m"
  severity = "warning"
  annotations {
    summary = "The platform refused more than 30 % of calls for its rate limit over 10 minutes."
  }
}

alert "plugin-restarts" {
  expr     = plugin_restarts(".*", "15m") >= 3
  severity = "warning"
  annotations {
    summary = "The platform's plugin restarted 3 times or more in 15 minutes."
  }
}

alert "job-paused" {
  expr     = job_paused_for(".*") > "30m"
  severity = "warning"
  annotations {
    summary = "A job has been paused for more than 30 minutes."
  }
}

alert "cache-hit-rate-low" {
  expr     = cache_hit_rate(".*", 100) < 0.5
  for      = "30m"
  severity = "info"
  annotations {
    summary = "The cache type's hit rate is below 50 %."
  }
}

alert "receiver-down" {
  expr     = notifier_failing(".*") >= 3
  severity = "critical"
  annotations {
    summary = "Notifications to the receiver keep failing."
  }
}

# A demo of the platform actor's resilience against the sandbox misbehaving
# on purpose. Check it with "marketsync validate -dev examples/config/faults.hcl"
# and run it with the -dev platforms beside it:
#
#   ./bin/marketsync agent -dev -config examples/config/faults.hcl
#   marketsync collect flaky $(seq 100001 101000) -wait
#   marketsync platforms; marketsync stats -platform flaky
#
# One call in five fails as 5xx, one in twenty never answers, a ban of 300ms
# starts every 2s, 2% of products are off-shelf and the configured rate is
# twice what the sandbox allows: the job still collects every product that
# exists, off-shelf ones fail alone with the platform's code, retries stay
# within the budget and the rate settles under the real limit.
platform "sandbox" "flaky" {
  timeout = "500ms"

  rate_limit {
    rate  = 100
    burst = 10
  }

  retry {
    max_attempts = 6
    base_delay   = "20ms"
    max_delay    = "500ms"
  }

  config {
    rate_limit    = 50
    burst         = 10
    error_rate    = 0.2
    slow_rate     = 0.05
    ban_every     = "2s"
    ban_for       = "300ms"
    offshelf_rate = 0.02
  }
}

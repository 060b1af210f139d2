# A production agent: two source marketplaces (Taobao, 1688) and one store
# (Shopify). Secrets come from the environment and from files kept beside
# this one, never from the file itself.
data_dir   = "/var/lib/marketsync"
log_level  = "warn"
log_format = "json"
plugin_dir = "/usr/lib/marketsync/plugins"

api {
  address = "0.0.0.0:8787"
  token   = env("MARKETSYNC_TOKEN")
}

platform "taobao" "main-shop" {
  plugin_sha256 = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
  timeout       = "10s"
  concurrency   = 8

  rate_limit {
    rate  = 40
    burst = 10
  }

  retry {
    max_attempts = 7
    base_delay   = "250ms"
    max_delay    = "20s"
  }

  config {
    app_key    = "12345678"
    app_secret = file("secrets/taobao.secret")
  }
}

platform "1688" "wholesale" {
  timeout = "15s"

  config {
    app_key    = "87654321"
    app_secret = file("secrets/1688.secret")
  }
}

platform "shopify" "eu-store" {
  concurrency = 2

  # Shopify's REST API leaks 2 calls/s from a bucket of 40.
  rate_limit {
    rate  = 2
    burst = 40
  }

  config {
    shop         = "example-eu.myshopify.com"
    access_token = env("SHOPIFY_ACCESS_TOKEN")
    locations    = ["warehouse-shenzhen", "warehouse-rotterdam"]
  }
}

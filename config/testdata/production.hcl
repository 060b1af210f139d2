# A production agent: two source marketplaces (Taobao, 1688) and one store
# (Shopify). Secrets come from the environment and from files kept beside
# this one, never from the file itself.
data_dir   = "/var/lib/marketsync"
log_level  = "warn"
log_format = "json"
plugin_dir = "/usr/lib/marketsync/plugins"

api {
  address             = "0.0.0.0:8787"
  token               = env("MARKETSYNC_TOKEN")
  read_header_timeout = "5s"
  read_timeout        = "20s"
  idle_timeout        = "1m"
  max_conns           = 256
  insecure_bind       = true # no effect with a token; set so every setting is exercised
  unix_socket         = "/run/marketsync/api.sock"
  unix_socket_mode    = "0660"

  scoped_token {
    secret = env("MARKETSYNC_READ_TOKEN", "dashboard-read-token")
    scope  = "read"
  }

  tls {
    cert_file      = "/etc/marketsync/tls/agent.pem"
    key_file       = "/etc/marketsync/tls/agent-key.pem"
    client_ca_file = "/etc/marketsync/tls/clients-ca.pem"
  }
}

stats {
  retention = "72h"
}

cache {
  cleanup      = "30 2 * * *"
  reset_stats  = "@weekly"
  l1_max_cost  = "256MiB"
  negative_ttl = "5s"
  ttl {
    product_info   = "30m"
    price          = "2m"
    stock          = "15s"
    remote_product = "10m"
  }
}

cluster {
  name              = "prod-eu"
  node_name         = "sync-1"
  bind_addr         = "10.0.0.11:7946"
  advertise_addr    = "10.0.0.11:7946"
  raft_addr         = "10.0.0.11:7947"
  join              = ["10.0.0.12:7946", "10.0.0.13:7946"]
  server            = true
  bootstrap_expect  = 3
  encrypt           = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY="
  encrypt_previous  = ["ZmVkY2JhOTg3NjU0MzIxMA=="]
  lock_delay        = "3s"
  dead_server_grace = "1m"
  api_ca_file       = "/etc/marketsync/cluster-ca.pem"
  api_cert_file     = "/etc/marketsync/node.pem"
  api_key_file      = "/etc/marketsync/node-key.pem"
}

platform "taobao" "main-shop" {
  plugin_sha256   = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
  plugin_pass_env = ["HTTPS_PROXY", "NO_PROXY"]
  timeout         = "10s"
  concurrency     = 8

  rate_limit {
    rate  = 40
    burst = 10
  }

  # The actor adapts to the platform's answers below this ceiling.
  adaptive_rate = true

  retry {
    max_attempts       = 7
    base_delay         = "250ms"
    max_delay          = "20s"
    budget_percent     = 0.1
    budget_min_per_sec = 0.5
  }

  circuit_breaker {
    window        = "1m"
    min_calls     = 30
    failure_ratio = 0.6
    cooldown      = "45s"
    probes        = 2
  }

  # A plugin that keeps crashing fails the platform for good.
  restart {
    attempts = 3
    interval = "10m"
    delay    = "1m"
    mode     = "fail"
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
  # Shopify states its bucket exactly and reports it on every answer, so
  # the rate needs no guessing.
  adaptive_rate = false

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

# Taobao products listed on the Shopify store in English and US dollars.
sync "taobao-to-eu" {
  source   = "main-shop"
  target   = "eu-store"
  schedule = "0 */6 * * *"

  fields {
    title       = ["en", "zh-CN"]
    description = ["en"]
  }

  price {
    currency = "USD"
    rate     = 0.1385
    rule {
      below    = 50
      multiply = 2.5
    }
    rule {
      multiply = 1.8
      add      = 3
    }
    round      = "0.99"
    compare_at = "1.3x"
  }

  stock {
    reserve      = 2
    out_of_stock = "draft"
  }

  on_variant_removed = "zero"

  conflicts {
    default   = "newest_wins"
    title     = "manual"
    overwrite = ["price"]
  }
}

# The ERP follows collects and job ends through signed webhooks.
event_sink "erp" {
  url         = "https://erp.example.com/hooks/marketsync"
  secret_file = "secrets/erp-webhook.secret"
  events      = ["product.collected", "job.finished"]
}

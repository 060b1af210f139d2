# A production agent collecting from the four source marketplaces. Secrets
# come from the environment and from files beside this one, never from the
# file itself. The environment in production.env and the files in secrets/
# are fake stand-ins, so that it can be checked in a source tree; from the
# root of the tree, after "make build":
#
#   (set -a; . examples/config/production.env; bin/marketsync validate examples/config/production.hcl)
#
# plugin_dir names where packages install plugins; bin/marketsync also
# finds the plugins built beside it.
data_dir   = "/var/lib/marketsync"
log_level  = "info"
log_format = "json"
plugin_dir = "/usr/lib/marketsync/plugins"

api {
  address = "127.0.0.1:8787"
  token   = env("MARKETSYNC_TOKEN")
}

stats {
  retention = "48h"
}

# Taobao/Tmall through the Taobao Open Platform. The app's quota is set per
# app in the TOP console: state it here, and the actor adapts below it when
# TOP bans the app ("This ban will last for N more seconds").
platform "taobao" "tb-main" {
  timeout     = "15s"
  concurrency = 4

  rate_limit {
    rate  = 5
    burst = 5
  }

  config {
    app_key    = env("TAOBAO_APP_KEY")
    app_secret = file("secrets/taobao.secret")
    session    = file("secrets/taobao.session")
    seller_id  = "2200000000000"
  }
}

platform "alibaba1688" "wholesale" {
  config {
    app_key        = env("ALI1688_APP_KEY")
    app_secret     = file("secrets/1688.secret")
    access_token   = file("secrets/1688.token")
    seller_open_id = "BBBexampleOpenId"
  }
}

platform "pinduoduo" "pdd" {
  retry {
    max_attempts = 6
    max_delay    = "20s"
  }

  config {
    client_id     = env("PDD_CLIENT_ID")
    client_secret = file("secrets/pdd.secret")
    access_token  = file("secrets/pdd.token")
  }
}

platform "aliexpress" "ae-us" {
  config {
    app_key         = env("AE_APP_KEY")
    app_secret      = file("secrets/aliexpress.secret")
    access_token    = file("secrets/aliexpress.token")
    ship_to_country = "US"
    target_currency = "USD"
    target_language = "EN"
  }

  circuit_breaker {
    cooldown = "1m"
  }
}

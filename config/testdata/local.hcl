log_level  = "error"
log_format = "json"

platform "shopify" "store" {}

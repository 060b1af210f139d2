data_dir  = "/var/lib/marketsync"
log_level = "info"

api {
  address = "127.0.0.1:9000"
}

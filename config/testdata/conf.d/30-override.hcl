# Later files win setting by setting: api.address from 10-agent.hcl stays.
log_level = "debug"

api {
  token = "from-30-override"
}

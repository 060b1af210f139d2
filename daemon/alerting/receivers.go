package alerting

import (
	"fmt"

	"github.com/marketsync/marketsync/config"
	"github.com/marketsync/marketsync/daemon/alerting/notify"
	"github.com/marketsync/marketsync/daemon/alerting/notify/dingtalk"
	"github.com/marketsync/marketsync/daemon/alerting/notify/email"
	"github.com/marketsync/marketsync/daemon/alerting/notify/feishu"
	"github.com/marketsync/marketsync/daemon/alerting/notify/webhook"
	"github.com/marketsync/marketsync/daemon/alerting/notify/wecom"
)

// NewNotifier builds the notifier of a receiver block.
func NewNotifier(rc config.Receiver) (notify.Notifier, error) {
	switch rc.Kind {
	case "dingtalk":
		return &dingtalk.Notifier{URL: rc.URL, Secret: rc.Secret.Reveal(), AtMobiles: rc.AtMobiles, AtUserIDs: rc.AtUserIDs, AtAll: rc.AtAll}, nil
	case "webhook":
		return &webhook.Notifier{URL: rc.URL, Secret: rc.Secret.Reveal()}, nil
	case "wecom":
		return &wecom.Notifier{URL: rc.URL}, nil
	case "feishu":
		return &feishu.Notifier{URL: rc.URL, Secret: rc.Secret.Reveal()}, nil
	case "email":
		return &email.Notifier{Smarthost: rc.Smarthost, From: rc.From, To: rc.To, Username: rc.Username, Password: rc.Password.Reveal(), TLS: rc.TLS}, nil
	}
	return nil, fmt.Errorf("no notifier for receivers of kind %q", rc.Kind)
}

package market

import (
	"time"

	"github.com/marketsync/marketsync/sdk"
)

// banLeft says how much of a ban is left at elapsed since configuration:
// bans start every banEvery and last banFor.
func (k knobs) banLeft(elapsed time.Duration) time.Duration {
	if k.banEvery <= 0 || k.banFor <= 0 || elapsed < k.banEvery {
		return 0
	}
	into := elapsed % k.banEvery
	if into >= k.banFor {
		return 0
	}
	return k.banFor - into
}

// spoil decides whether the next returned product is to be broken.
func (m *Market) spoil() bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.knobs.malformed > 0 && m.rng.Float64() < m.knobs.malformed
}

// breakProduct breaks p the way a wrong mapping would, one of three ways.
func breakProduct(p *sdk.Product, n int) {
	switch n % 3 {
	case 0:
		p.Variants[0].Stock = -1
	case 1:
		p.Variants[0].Price.Currency = "RMB" // not ISO 4217: CNY is
	default:
		p.Variants[0].SKU = ""
	}
}

// flood logs as fast as asked, like a plugin stuck logging in a loop: the
// lines go where a plugin's logs go, to the host. It runs until the
// process ends.
type flood struct{}

func startFlood(perSecond int) *flood {
	log := sdk.Logger()
	go func() {
		t := time.NewTicker(time.Second / time.Duration(perSecond))
		defer t.Stop()
		for n := 0; ; n++ {
			<-t.C
			log.Info("sandbox: noisy line", "n", n)
		}
	}()
	return &flood{}
}

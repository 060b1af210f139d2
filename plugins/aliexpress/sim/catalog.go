package sim

import (
	"strconv"
	"time"

	"github.com/marketsync/marketsync/sdk/simkit"
)

// Languages the simulator translates into, by their target_language code.
// The real platform accepts some twenty; three are enough to show that
// titles, option names and values follow the requested language.
var languageTags = map[string]string{"EN": "en", "RU": "ru", "ES": "es"}

// text is one phrase in the store's own language (Chinese) and in every
// language the simulator translates into.
type text struct{ zh, en, ru, es string }

func (t text) in(lang string) string {
	switch lang {
	case "EN":
		return t.en
	case "RU":
		return t.ru
	case "ES":
		return t.es
	}
	return t.zh
}

var (
	adjectives = []text{
		{"新款", "New", "Новый", "Nuevo"},
		{"时尚", "Fashion", "Модный", "Moda"},
		{"便携式", "Portable", "Портативный", "Portátil"},
		{"高品质", "High Quality", "Высококачественный", "Alta Calidad"},
		{"复古", "Vintage", "Винтажный", "Vintage"},
		{"迷你", "Mini", "Мини", "Mini"},
	}
	materials = []text{
		{"硅胶", "Silicone", "Силиконовый", "Silicona"},
		{"不锈钢", "Stainless Steel", "Нержавеющая сталь", "Acero Inoxidable"},
		{"纯棉", "Cotton", "Хлопковый", "Algodón"},
		{"皮革", "Leather", "Кожаный", "Cuero"},
		{"竹制", "Bamboo", "Бамбуковый", "Bambú"},
	}
	nouns = []text{
		{"手机壳", "Phone Case", "Чехол для телефона", "Funda de Teléfono"},
		{"水杯", "Water Bottle", "Бутылка для воды", "Botella de Agua"},
		{"T恤", "T-Shirt", "Футболка", "Camiseta"},
		{"背包", "Backpack", "Рюкзак", "Mochila"},
		{"蓝牙耳机", "Bluetooth Earphones", "Bluetooth-наушники", "Auriculares Bluetooth"},
		{"收纳盒", "Storage Box", "Коробка для хранения", "Caja de Almacenamiento"},
		{"手表", "Watch", "Часы", "Reloj"},
	}
	colorName = text{"颜色", "Color", "Цвет", "Color"}
	sizeName  = text{"尺寸", "Size", "Размер", "Talla"}
	colors    = []text{
		{"红色", "Red", "Красный", "Rojo"},
		{"黑色", "Black", "Черный", "Negro"},
		{"白色", "White", "Белый", "Blanco"},
		{"蓝色", "Blue", "Синий", "Azul"},
		{"绿色", "Green", "Зеленый", "Verde"},
		{"粉色", "Pink", "Розовый", "Rosa"},
		{"灰色", "Grey", "Серый", "Gris"},
		{"黄色", "Yellow", "Желтый", "Amarillo"},
	}
	// Sellers may name a value themselves; the name is not translated.
	customColors = []string{"款式一", "款式二", "款式三", "款式四", "款式五", "款式六", "款式七", "款式八"}
	sizes        = []string{"S", "M", "L", "XL", "XXL"}
	brands       = []string{"Baseus", "UGREEN", "Xiaomi", "NONE", "Anker"}
	brandName    = text{"品牌", "Brand Name", "Название бренда", "Nombre de la marca"}
	originName   = text{"产地", "Origin", "Происхождение", "Origen"}
	originValue  = text{"中国大陆", "Mainland China", "Материковый Китай", "China continental"}
)

// Property ids of the two SKU axes, as AliExpress numbers its standard
// properties (14 is colour, 5 is size in its category attributes).
const (
	colorPropertyID = 14
	sizePropertyID  = 5
)

// Product states.
type status int

const (
	onSelling status = iota
	offline          // taken off the shelf: the API still describes it
	deleted          // gone: the API answers ITEM_ID_NOT_FOUND
)

// item is one product of the generated catalogue, in the platform's own
// terms: prices in CNY fen, phrases in every language.
type item struct {
	index     int
	id        int64
	status    status
	wsDisplay string // why it is offline
	noShipTo  string // a country it cannot be shipped to, "" for none
	title     [3]int // adjective, material, noun
	brand     int
	axes      []axis
	skus      []sku
	images    []string // as the platform writes them, perhaps "//host/…"
	// trimPrices makes the simulator write prices without trailing zeros
	// ("12.5", "13"), as the platform sometimes does.
	trimPrices bool
	skuImages  bool
	created    string
	// modified is gmt_modified, written in the gateway's GMT+8.
	modified time.Time
	// The shapes real answers take, laid out by index: skuKey is which
	// of sku_attr and id name the SKUs (skuBoth, skuAttrOnly after the
	// id's retirement, skuIDOnly before it); bareLists writes lists as
	// bare arrays instead of wrapper objects; quoted writes numbers as
	// strings; noStatus leaves product_status_type out; noSKUs leaves the
	// SKU list out; repeatImage lists the first picture again under
	// another spelling; chineseDetail keeps the seller's Chinese in the
	// description.
	skuKey                                                          int
	bareLists, quoted, noStatus, noSKUs, repeatImage, chineseDetail bool
}

const (
	skuBoth = iota
	skuAttrOnly
	skuIDOnly
)

type axis struct {
	propertyID int
	name       text
	values     []axisValue
}

type axisValue struct {
	id     int64
	name   text
	custom string // the seller's own name for the value, "" for none
}

type sku struct {
	id       int64
	values   []int // index into each axis's values
	listFen  int64 // sku_price, CNY fen
	offerFen int64 // offer_sale_price, CNY fen
	stock    int64
}

// catalog is the store's products, generated from a seed: the same seed
// and count give the same products, field for field.
type catalog struct {
	items []*item
	byID  map[int64]*item
}

// idBase keeps ids in the platform's 16-digit range (1005006057059635).
const idBase = 1005000000000000

func newCatalog(seed uint64, count int) *catalog {
	offset := int64(seed%100_000) * 10_000_000
	c := &catalog{byID: make(map[int64]*item, count)}
	c.items = simkit.Generate(seed, count, func(r *simkit.Draw) *item {
		return generate(r, idBase+offset+int64(r.Index)*13)
	})
	for _, it := range c.items {
		c.byID[it.id] = it
	}
	return c
}

// generate makes item r.Index. The kinds of item that tests need are laid
// out by index, so that any catalogue of a few hundred items has all of
// them; the rest comes from r.
func generate(r *simkit.Draw, id int64) *item {
	i := r.Index
	it := &item{
		index:         i,
		id:            id,
		title:         [3]int{r.IntN(len(adjectives)), r.IntN(len(materials)), r.IntN(len(nouns))},
		brand:         r.IntN(len(brands)),
		trimPrices:    i%5 == 2,
		skuImages:     i%2 == 0,
		created:       "2024-0" + strconv.Itoa(1+i%9) + "-1" + strconv.Itoa(i%10) + " 10:2" + strconv.Itoa(i%10) + ":00",
		modified:      time.Date(2025, time.Month(1+i%12), 1+i%28, i%24, (i*7)%60, i%60, 0, gmt8),
		skuKey:        i % 3,
		bareLists:     i%4 == 3,
		quoted:        i%5 == 1,
		noStatus:      i%13 == 11,
		noSKUs:        i%31 == 19,
		chineseDetail: i%5 == 3,
	}
	switch {
	case i%50 == 13:
		it.status = deleted
	case i%20 == 7:
		it.status = offline
		it.wsDisplay = []string{"user_offline", "expire_offline", "punish_offline"}[r.IntN(3)]
	}
	switch {
	case i%41 == 5:
		it.noShipTo = "US"
	case i%43 == 6:
		it.noShipTo = "BR"
	}

	switch {
	case i%10 == 0: // no options: one SKU without properties
	case i%3 == 0:
		it.axes = []axis{colorAxis(r, i), sizeAxis(r)}
	default:
		it.axes = []axis{colorAxis(r, i)}
	}
	it.skus = skus(r, i, it.axes)

	if i%11 != 4 { // every eleventh item has no pictures at all
		protocolRelative := i%4 == 1
		for k := range 1 + r.IntN(6) {
			u := "ae01.alicdn.com/kf/S" + strconv.FormatUint(r.Uint64()>>8, 16) + strconv.Itoa(k) + ".jpg"
			if protocolRelative {
				u = "//" + u
			} else {
				u = "https://" + u
			}
			it.images = append(it.images, u)
		}
		it.repeatImage = len(it.images) >= 2 && i%7 == 5
	}
	return it
}

// gmt8 is the zone of the gateway's dates.
var gmt8 = time.FixedZone("GMT+8", 8*60*60)

func colorAxis(r *simkit.Draw, i int) axis {
	a := axis{propertyID: colorPropertyID, name: colorName}
	for _, c := range r.Perm(len(colors))[:2+r.IntN(4)] {
		v := axisValue{id: 193 + int64(c), name: colors[c]}
		if i%7 == 3 {
			v.custom = customColors[c]
		}
		a.values = append(a.values, v)
	}
	return a
}

func sizeAxis(r *simkit.Draw) axis {
	a := axis{propertyID: sizePropertyID, name: sizeName}
	first := r.IntN(2)
	for s := first; s < first+2+r.IntN(3) && s < len(sizes); s++ {
		a.values = append(a.values, axisValue{id: 100014064 + int64(s), name: text{sizes[s], sizes[s], sizes[s], sizes[s]}})
	}
	return a
}

// skus is every combination of the axes' values (one SKU when there are
// none), with prices and stock.
func skus(r *simkit.Draw, i int, axes []axis) []sku {
	counts := make([]int, len(axes))
	for k, a := range axes {
		counts[k] = len(a.values)
	}
	combos := simkit.Combinations(counts...)
	base := 500 + int64(r.IntN(50_000))
	discount := []int64{0, 10, 20, 35}[r.IntN(4)]
	out := make([]sku, len(combos))
	for k, values := range combos {
		list := base + int64(r.IntN(2_000))
		if i%17 == 9 {
			list = list / 100 * 100 // whole yuan, "12" rather than "12.00"
		}
		stock := int64(r.IntN(1000))
		if i%9 == 0 && k == 0 {
			stock = 0
		}
		out[k] = sku{
			id:       12_000_000_000_000_000 + int64(i)*100 + int64(k),
			values:   values,
			listFen:  list,
			offerFen: list * (100 - discount) / 100,
			stock:    stock,
		}
	}
	return out
}

package command

import (
	"strings"
	"testing"

	"github.com/mattn/go-runewidth"
)

// TestTableAlignsByDisplayWidth: a Chinese cell takes two terminal columns
// a character, and the next column still starts at the same place on
// every row.
func TestTableAlignsByDisplayWidth(t *testing.T) {
	out := table([][]string{
		{"SKU", "OPTIONS", "PRICE"},
		{"100001-1", "颜色=黑色", "287.62 CNY"},
		{"100001-2", "color=white", "1.00 CNY"},
		{"100001-3", "尺码=XL", "3.50 CNY"},
	})
	lines := strings.Split(out, "\n")
	col := -1
	for _, l := range lines {
		i := strings.LastIndex(l, "  ")
		w := runewidth.StringWidth(l[:i+2])
		if col == -1 {
			col = w
		} else if w != col {
			t.Errorf("the last column starts at display column %d, want %d:\n%s", w, col, out)
		}
	}
	if strings.HasSuffix(lines[0], " ") {
		t.Error("trailing spaces")
	}
}

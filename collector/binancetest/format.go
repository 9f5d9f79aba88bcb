package binancetest

import "strconv"

// Kline is one candle in the shape Binance sends it: times in ms, decimals as
// strings with 8 fractional digits.
type Kline struct {
	OpenTime                    int64 // ms
	Open, High, Low, Close      string
	Volume                      string
	CloseTime                   int64 // ms, next open time - 1
	QuoteVolume                 string
	Trades                      int64
	TakerBuyBase, TakerBuyQuote string
}

// appendFixed formats a non-negative fixed-point value with exactly 8
// decimals. strconv.AppendFloat with a precision takes its slow big-decimal
// path; this keeps a 1000-candle page in the low hundreds of microseconds.
func appendFixed(b []byte, v int64) []byte {
	if v < 0 {
		b = append(b, '-')
		v = -v
	}
	b = strconv.AppendUint(b, uint64(v)/1e8, 10)
	f := uint32(uint64(v) % 1e8) // 32-bit division by constants is cheap
	var d [9]byte
	d[0] = '.'
	for i := 8; i > 0; i -= 2 {
		q := f % 100
		f /= 100
		d[i-1], d[i] = pairs[2*q], pairs[2*q+1]
	}
	return append(b, d[:]...)
}

// pairs holds "00".."99" for two-digits-at-a-time formatting.
const pairs = "0001020304050607080910111213141516171819" +
	"2021222324252627282930313233343536373839" +
	"4041424344454647484950515253545556575859" +
	"6061626364656667686970717273747576777879" +
	"8081828384858687888990919293949596979899"

func fixedString(v int64) string { return string(appendFixed(make([]byte, 0, 24), v)) }

// appendQuoted writes "v" for one decimal column.
func appendQuoted(b []byte, v int64) []byte {
	b = append(b, '"')
	b = appendFixed(b, v)
	return append(b, '"')
}

// appendCandle writes the 12-element array Binance uses for a kline; the
// last element is the long-deprecated "ignore" field, always "0".
func appendCandle(b []byte, k *candle) []byte {
	b = append(b, '[')
	b = strconv.AppendInt(b, k.open, 10)
	b = append(b, ',')
	b = appendQuoted(b, k.o)
	b = append(b, ',')
	b = appendQuoted(b, k.h)
	b = append(b, ',')
	b = appendQuoted(b, k.l)
	b = append(b, ',')
	b = appendQuoted(b, k.c)
	b = append(b, ',')
	b = appendQuoted(b, k.vol)
	b = append(b, ',')
	b = strconv.AppendInt(b, k.close, 10)
	b = append(b, ',')
	b = appendQuoted(b, k.qvol)
	b = append(b, ',')
	b = strconv.AppendInt(b, k.trades, 10)
	b = append(b, ',')
	b = appendQuoted(b, k.tbb)
	b = append(b, ',')
	b = appendQuoted(b, k.tbq)
	return append(b, `,"0"]`...)
}

// kline converts to the exported form using the same formatter as the HTTP
// path, so Server.Klines and the API agree byte for byte.
func (k *candle) kline() Kline {
	return Kline{
		OpenTime: k.open, CloseTime: k.close, Trades: k.trades,
		Open: fixedString(k.o), High: fixedString(k.h), Low: fixedString(k.l), Close: fixedString(k.c),
		Volume: fixedString(k.vol), QuoteVolume: fixedString(k.qvol),
		TakerBuyBase: fixedString(k.tbb), TakerBuyQuote: fixedString(k.tbq),
	}
}

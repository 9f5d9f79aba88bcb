// Command lakehouse keeps a crypto-market data lake of Binance klines current.
package main

import (
	"os"

	"github.com/lakehouse-dev/lakehouse/cmd"
)

func main() { os.Exit(cmd.Execute()) }

// Command openapi-validate checks OpenAPI 3 documents with kin-openapi:
// each file named on the command line must load and validate. make lint
// runs it on the committed copies in api/.
package main

import (
	"context"
	"fmt"
	"os"

	"github.com/cliquet-go/cliquet/internal/apicheck"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: openapi-validate FILE.json...")
		os.Exit(2)
	}
	failed := false
	for _, path := range os.Args[1:] {
		if err := validate(path); err != nil {
			fmt.Fprintf(os.Stderr, "openapi-validate: %s: %v\n", path, err)
			failed = true
			continue
		}
		fmt.Printf("openapi-validate: %s: valid\n", path)
	}
	if failed {
		os.Exit(1)
	}
}

func validate(path string) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	_, err = apicheck.Load(context.Background(), data)
	return err
}

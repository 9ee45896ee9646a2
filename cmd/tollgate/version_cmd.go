package main

import (
	"fmt"
	goruntime "runtime"

	"github.com/spf13/cobra"

	"github.com/tollgate-mcp/tollgate/internal/buildinfo"
)

func newVersionCmd(c *cli) *cobra.Command {
	return &cobra.Command{
		Use:     "version",
		GroupID: cmdGroupOther,
		Short:   "Print the version, the VCS revision and the Go toolchain",
		Long: `Print the module version and, when the binary was built from a git checkout,
the commit it was built from; then the Go toolchain and platform. The MCP
server reports the same version in serverInfo.`,
		Example: `  tollgate version
  tollgate --version`,
		Args: noArgs,
		RunE: func(*cobra.Command, []string) error {
			info := buildinfo.Read()
			fmt.Fprintf(c.stdout, "tollgate %s\n%s %s/%s\n", info, info.GoVersion, goruntime.GOOS, goruntime.GOARCH)
			return nil
		},
	}
}

// Command xcaddy-recipe turns xcaddy.json into an `xcaddy build` call, for
// operators who compose their own Caddy with hhgate's modules and other
// plugins. `make xcaddy` runs it.
//
//	xcaddy-recipe [-recipe xcaddy.json] [-gomod go.mod] [-print]
package main

import (
	"flag"
	"fmt"
	"os"
	"os/exec"
	"strings"
)

func main() {
	recipePath := flag.String("recipe", "xcaddy.json", "the build recipe")
	goModPath := flag.String("gomod", "go.mod", "go.mod whose Caddy version the recipe must match")
	printOnly := flag.Bool("print", false, "print the xcaddy command instead of running it")
	xcaddy := flag.String("xcaddy", "xcaddy", "the xcaddy binary")
	flag.Parse()

	r, err := LoadRecipe(*recipePath)
	if err != nil {
		fail(err)
	}
	goMod, err := os.ReadFile(*goModPath)
	if err != nil {
		fail(err)
	}
	want, err := GoModCaddyVersion(goMod)
	if err != nil {
		fail(err)
	}
	if r.CaddyVersion != want {
		fail(fmt.Errorf("%s: caddy_version %s differs from go.mod's %s", *recipePath, r.CaddyVersion, want))
	}
	args := r.Args()
	if *printOnly {
		fmt.Println(*xcaddy + " " + strings.Join(args, " "))
		return
	}
	cmd := exec.Command(*xcaddy, args...)
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	if r.HasLocalPlugin() {
		cmd.Env = append(os.Environ(), "GOPROXY="+LocalFallbackProxy(goEnv("GOPROXY")))
	}
	if err := cmd.Run(); err != nil {
		fail(err)
	}
}

// goEnv reads one go env setting ("" if go is not runnable).
func goEnv(name string) string {
	out, err := exec.Command("go", "env", name).Output()
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(out))
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "xcaddy-recipe:", err)
	os.Exit(1)
}

// Command chown is the test Prometheus image's chown (the image has no
// shell or coreutils): "chown -R UID:GID PATH...", as the managed
// Prometheus's init-chown-data container runs it.
package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "chown:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	recursive := len(args) > 0 && args[0] == "-R"
	if recursive {
		args = args[1:]
	}
	if len(args) < 2 {
		return errors.New("usage: chown [-R] UID:GID PATH")
	}
	u, g, ok := strings.Cut(args[0], ":")
	if !ok {
		return fmt.Errorf("owner %q is not UID:GID", args[0])
	}
	uid, err := strconv.Atoi(u)
	if err != nil {
		return err
	}
	gid, err := strconv.Atoi(g)
	if err != nil {
		return err
	}
	for _, root := range args[1:] {
		if !recursive {
			if err := os.Lchown(root, uid, gid); err != nil {
				return err
			}
			continue
		}
		if err := filepath.WalkDir(root, func(p string, _ fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			return os.Lchown(p, uid, gid)
		}); err != nil {
			return err
		}
	}
	return nil
}

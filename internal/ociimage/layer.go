package ociimage

import (
	"archive/tar"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"sort"
	"strings"
)

// The users and groups of gcr.io/distroless/static:nonroot.
const (
	passwd = "root:x:0:0:root:/root:/sbin/nologin\n" +
		"nobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin\n" +
		"nonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\n"
	group = "root:x:0:\n" +
		"nobody:x:65534:\n" +
		"nonroot:x:65532:\n"
)

// NonrootID is the uid and gid of the nonroot user.
const NonrootID = 65532

// entry is a file or directory of the layer.
type entry struct {
	dir      bool
	mode     fs.FileMode
	uid, gid int
	content  []byte
	source   string
}

// entries maps a path in the image, without the leading "/", to its entry.
type entries map[string]*entry

func baseEntries(caBundle string) (entries, error) {
	e := entries{
		"etc":          {dir: true, mode: 0o755},
		"etc/passwd":   {mode: 0o644, content: []byte(passwd)},
		"etc/group":    {mode: 0o644, content: []byte(group)},
		"home":         {dir: true, mode: 0o755},
		"home/nonroot": {dir: true, mode: 0o700, uid: NonrootID, gid: NonrootID},
		"root":         {dir: true, mode: 0o700},
		"tmp":          {dir: true, mode: 0o777 | fs.ModeSticky},
	}
	if caBundle != "" {
		if err := e.addFile(File{Path: CABundlePath, Source: caBundle, Mode: 0o644}); err != nil {
			return nil, fmt.Errorf("adding the CA bundle: %w", err)
		}
	}
	return e, nil
}

// addFile adds f and its missing parent directories.
func (e entries) addFile(f File) error {
	if !path.IsAbs(f.Path) || path.Clean(f.Path) != f.Path || f.Path == "/" {
		return fmt.Errorf("file path %q: must be absolute and clean", f.Path)
	}
	if f.Mode&^(fs.ModePerm|fs.ModeSetuid|fs.ModeSetgid|fs.ModeSticky) != 0 {
		return fmt.Errorf("file %s: mode %v has bits other than permissions, setuid, setgid and sticky", f.Path, f.Mode)
	}
	p := strings.TrimPrefix(f.Path, "/")
	if _, ok := e[p]; ok {
		return fmt.Errorf("file %s: given twice or part of the base image", f.Path)
	}
	for dir := path.Dir(p); dir != "."; dir = path.Dir(dir) {
		if d, ok := e[dir]; ok && !d.dir {
			return fmt.Errorf("file %s: parent /%s is a file", f.Path, dir)
		}
	}
	mode, err := fileMode(f)
	if err != nil {
		return err
	}
	e[p] = &entry{mode: mode, content: f.Content, source: f.Source}
	for dir := path.Dir(p); dir != "."; dir = path.Dir(dir) {
		if _, ok := e[dir]; !ok {
			e[dir] = &entry{dir: true, mode: 0o755}
		}
	}
	return nil
}

// fileMode is f's mode: as given, else its source's permissions, else 0644.
func fileMode(f File) (fs.FileMode, error) {
	if f.Source == "" {
		if f.Mode == 0 {
			return 0o644, nil
		}
		return f.Mode, nil
	}
	st, err := os.Stat(f.Source)
	if err != nil {
		return 0, fmt.Errorf("file %s: %w", f.Path, err)
	}
	if !st.Mode().IsRegular() {
		return 0, fmt.Errorf("file %s: source %s is not a regular file", f.Path, f.Source)
	}
	if f.Mode == 0 {
		return st.Mode().Perm(), nil
	}
	return f.Mode, nil
}

// writeTar writes the entries in path order (a directory before its
// contents), all stamped with Epoch.
func (e entries) writeTar(w io.Writer) error {
	paths := make([]string, 0, len(e))
	for p := range e {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	tw := tar.NewWriter(w)
	for _, p := range paths {
		if err := e[p].write(tw, p); err != nil {
			return err
		}
	}
	return tw.Close()
}

func (en *entry) write(tw *tar.Writer, p string) error {
	hdr := &tar.Header{
		Name:    p,
		Mode:    tarMode(en.mode),
		Uid:     en.uid,
		Gid:     en.gid,
		ModTime: Epoch,
	}
	if en.dir {
		hdr.Typeflag, hdr.Name = tar.TypeDir, p+"/"
		return tw.WriteHeader(hdr)
	}
	hdr.Typeflag = tar.TypeReg
	if en.source == "" {
		hdr.Size = int64(len(en.content))
		if err := tw.WriteHeader(hdr); err != nil {
			return err
		}
		_, err := tw.Write(en.content)
		return err
	}
	f, err := os.Open(en.source)
	if err != nil {
		return err
	}
	defer func() { _ = f.Close() }()
	st, err := f.Stat()
	if err != nil {
		return err
	}
	hdr.Size = st.Size()
	if err := tw.WriteHeader(hdr); err != nil {
		return err
	}
	if _, err := io.Copy(tw, f); err != nil {
		return fmt.Errorf("copying %s: %w", en.source, err)
	}
	return nil
}

// tarMode converts a fs.FileMode to the tar header's Unix mode bits.
func tarMode(m fs.FileMode) int64 {
	mode := int64(m.Perm())
	if m&fs.ModeSetuid != 0 {
		mode |= 0o4000
	}
	if m&fs.ModeSetgid != 0 {
		mode |= 0o2000
	}
	if m&fs.ModeSticky != 0 {
		mode |= 0o1000
	}
	return mode
}

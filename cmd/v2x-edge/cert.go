package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/v2x-edge/v2x-edge/cmd/internal/cli"
	"github.com/v2x-edge/v2x-edge/edge/auth"
	"github.com/v2x-edge/v2x-edge/edge/devca"
)

// runCert is `v2x-edge cert issue`: a client certificate naming an
// identity, signed by the development CA under -data.
func runCert(args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "issue" {
		return errors.New("usage: v2x-edge cert issue -data DIR -name NAME -role ROLE[,ROLE] [-kinds KIND,...] [-intersections ID,...] [-days N] -out DIR2")
	}
	fs := flag.NewFlagSet("v2x-edge cert issue", flag.ContinueOnError)
	fs.SetOutput(stderr)
	data := fs.String("data", "v2x-data", "data `directory` of the node whose development CA signs (created with the CA when missing)")
	name := fs.String("name", "", "identity `name`: 1 to 64 letters, digits, '.', '_' or '-'")
	roles := fs.String("role", "", "comma-separated `roles`: producer, subscriber, operator")
	kinds := fs.String("kinds", "", "comma-separated source `kinds` a producer may send: vehicle, rsu, camera, signal, map")
	inters := fs.String("intersections", "", "comma-separated intersection `ids`, each ID or REGION/ID, whose SPAT and MAP a signal or map producer may send (default: every intersection)")
	days := fs.Int("days", devca.DefaultDays, "validity in `days`")
	out := fs.String("out", "", "`directory` to write NAME.pem and NAME-key.pem to")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "usage: v2x-edge cert issue -data DIR -name NAME -role ROLE[,ROLE] [-kinds KIND,...] [-intersections ID,...] [-days N] -out DIR2\n\n"+
			"Writes DIR2/NAME.pem (a client certificate naming the identity) and DIR2/NAME-key.pem,\nsigned by the development CA in DIR.\n\n")
		fs.PrintDefaults()
	}
	if help, err := cli.Parse(fs, args[1:]); help || err != nil {
		return err
	}
	id, err := certIdentity(*name, *roles, *kinds, *inters)
	if err != nil {
		return err
	}
	switch {
	case *out == "":
		return errors.New("cert issue: -out DIR is required")
	case *data == "":
		return errors.New("cert issue: -data DIR is required")
	case *days < 1 || *days > 3650:
		return fmt.Errorf("cert issue: -days %d outside 1..3650", *days)
	}
	cf, kf, err := devca.IssueFiles(*data, id, time.Now().Add(time.Duration(*days)*24*time.Hour), *out)
	if err != nil {
		return fmt.Errorf("cert issue: %w", err)
	}
	fmt.Fprintf(stdout, "issued %s valid %d days: %s %s\n", id, *days, cf, kf)
	return nil
}

// certIdentity checks the identity asked for.
func certIdentity(name, roles, kinds, inters string) (auth.Identity, error) {
	if !auth.ValidName(name) {
		return auth.Identity{}, fmt.Errorf("cert issue: -name %q: want 1 to 64 letters, digits, '.', '_' or '-'", name)
	}
	r, err := auth.ParseRoles(roles)
	if err != nil {
		return auth.Identity{}, fmt.Errorf("cert issue: -role: %w", err)
	}
	if r == 0 {
		return auth.Identity{}, errors.New("cert issue: -role is required: producer, subscriber and/or operator")
	}
	k, err := auth.ParseKinds(kinds)
	if err != nil {
		return auth.Identity{}, fmt.Errorf("cert issue: -kinds: %w", err)
	}
	switch {
	case r.Has(auth.RoleProducer) && k == 0:
		return auth.Identity{}, errors.New("cert issue: a producer needs -kinds (" + strings.Join([]string{"vehicle", "rsu", "camera", "signal", "map"}, ",") + ")")
	case !r.Has(auth.RoleProducer) && k != 0:
		return auth.Identity{}, errors.New("cert issue: -kinds is only for the producer role")
	}
	ix, err := auth.ParseIntersections(inters)
	if err != nil {
		return auth.Identity{}, fmt.Errorf("cert issue: -intersections: %w", err)
	}
	if !ix.Any() && !k.Has(auth.KindSignal) && !k.Has(auth.KindMap) {
		return auth.Identity{}, errors.New("cert issue: -intersections scopes the signal and map kinds: add signal or map to -kinds")
	}
	return auth.Identity{Name: name, Roles: r, Kinds: k, Intersections: ix}, nil
}

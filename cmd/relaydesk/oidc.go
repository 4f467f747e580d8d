package main

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/relaydesk/relaydesk/web/console"
)

// OIDCConfig configures single sign-on to the console through the
// company's OpenID Connect identity provider; on when Issuer is set.
type OIDCConfig struct {
	Issuer       string
	ClientID     string
	ClientSecret Secret
	Scopes       []string // nil: console.DefaultOIDCScopes
	Name         string   // the button says "Sign in with <Name>"
	Only         bool     // password sign-in is off
}

// Enabled reports whether technicians can sign in through the identity
// provider.
func (c OIDCConfig) Enabled() bool { return c.Issuer != "" }

// console is the console's view of the settings.
func (c OIDCConfig) console() console.OIDC {
	return console.OIDC{Issuer: c.Issuer, ClientID: c.ClientID, ClientSecret: string(c.ClientSecret),
		Scopes: c.Scopes, Name: c.Name, Only: c.Only}
}

// loadOIDC reads the OIDC_ settings through get (LoadConfig's); all
// problems come back joined.
func loadOIDC(get func(key, def string) string) (OIDCConfig, error) {
	c := OIDCConfig{
		Issuer:       get("OIDC_ISSUER", ""),
		ClientID:     get("OIDC_CLIENT_ID", ""),
		ClientSecret: Secret(get("OIDC_CLIENT_SECRET", "")),
		Name:         get("OIDC_NAME", ""),
	}
	if v := get("OIDC_SCOPES", ""); v != "" {
		c.Scopes = strings.FieldsFunc(v, func(r rune) bool { return r == ' ' || r == ',' })
	}
	var errs []error
	if v := get("OIDC_ONLY", ""); v != "" {
		only, err := strconv.ParseBool(v)
		if err != nil {
			errs = append(errs, fmt.Errorf("OIDC_ONLY %q: use true or false", v))
		}
		c.Only = only
	}
	if c.Issuer == "" {
		for _, k := range []string{"OIDC_CLIENT_ID", "OIDC_CLIENT_SECRET", "OIDC_SCOPES", "OIDC_NAME"} {
			if get(k, "") != "" {
				errs = append(errs, fmt.Errorf("%s: set OIDC_ISSUER too, or single sign-on stays off", k))
			}
		}
		if c.Only {
			errs = append(errs, errors.New("OIDC_ONLY: turns passwords off for single sign-on, which needs OIDC_ISSUER; without it nobody could sign in"))
		}
		return OIDCConfig{}, errors.Join(errs...)
	}
	if u, err := checkURL(c.Issuer); err != nil {
		errs = append(errs, fmt.Errorf("OIDC_ISSUER %q: %w", c.Issuer, err))
	} else if u.RawQuery != "" || u.Fragment != "" {
		errs = append(errs, fmt.Errorf("OIDC_ISSUER %q: must not have a query or a fragment", c.Issuer))
	} else if u.Scheme != "https" && u.Hostname() != "localhost" && !isLoopback(u.Hostname()) {
		errs = append(errs, fmt.Errorf("OIDC_ISSUER %q: must be https:// (http:// only on this machine, such as a test provider on localhost)", c.Issuer))
	}
	if c.ClientID == "" {
		errs = append(errs, errors.New("OIDC_CLIENT_ID: required with OIDC_ISSUER: the client ID the identity provider gave relaydesk"))
	}
	if c.ClientSecret == "" {
		errs = append(errs, errors.New("OIDC_CLIENT_SECRET: required with OIDC_ISSUER: the client secret the identity provider gave relaydesk"))
	}
	return c, errors.Join(errs...)
}

package techchat

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/relaydesk/relaydesk/bots"
	"github.com/relaydesk/relaydesk/core"
)

// Command is one /support as the platform received it, its options by
// name: request, note, text, colleague (the request commands), status,
// setting (notify), code (link), company and subject (setup,
// invite-customer), view, sort and order (list). A platform whose
// commands are typed as text parses them with ParseText.
type Command struct {
	Sub     string // "" or "help" for the help
	Opts    map[string]string
	User    string // who typed it, on the platform
	Channel string // where
	// Key keys the engine action of a note; zero for none.
	Key core.Idempotency
}

// Answer is what the technician who typed a command reads, they alone.
type Answer struct {
	Text string
	// List is the answer of /support list: Text is its title.
	List []core.Request
}

// Usage is the right form of each subcommand.
var Usage = map[string]string{
	"list":            "/support list [all|new|active|completed|mine] [sort column] [asc|desc]",
	"assign":          "/support assign N",
	"unassign":        "/support unassign N",
	"join":            "/support join N",
	"end":             "/support end N",
	"leave":           "/support leave N",
	"close":           "/support close N [closing note]",
	"note":            "/support note N text",
	"transfer":        "/support transfer N e-mail|@user",
	"invite":          "/support invite N e-mail|@user",
	"screenshare":     "/support screenshare N",
	"screenstop":      "/support screenstop N",
	"sysinfo":         "/support sysinfo N",
	"status":          "/support status available|busy|away",
	"notify":          "/support notify on|off",
	"link":            "/support link CODE",
	"setup":           "/support setup company",
	"invite-customer": "/support invite-customer company [subject]",
}

// usageError is a command typed wrong: why, and the right form.
type usageError struct{ sub, why string }

func (e *usageError) Error() string { return e.why + "\nUsage: `" + Usage[e.sub] + "`" }

func badUsage(sub, why string) error { return &usageError{sub, why} }

// ParseText reads "/support" typed as text, "assign 1001" or "close 1001
// all done", into a Command's subcommand and options.
func ParseText(text string) (sub string, opts map[string]string) {
	args := strings.Fields(text)
	opts = map[string]string{}
	if len(args) == 0 {
		return "help", opts
	}
	sub, args = strings.ToLower(args[0]), args[1:]
	if sub == "screen" {
		sub = "screenshare" // as the seed names it: /support screen N
	}
	rest := func(from int) string {
		if len(args) <= from {
			return ""
		}
		return strings.Join(args[from:], " ")
	}
	switch sub {
	case "list":
		for _, arg := range args {
			arg = strings.ToLower(arg)
			switch {
			case slices.Contains(core.Views(), core.View(arg)):
				opts["view"] = arg
			case slices.Contains(core.SortColumns(), core.SortColumn(arg)):
				opts["sort"] = arg
			case arg == "asc" || arg == "desc":
				opts["order"] = arg
			default:
				opts["bad"] = arg
			}
		}
	case "status", "notify", "link", "setup":
		name := map[string]string{"status": "status", "notify": "setting", "link": "code", "setup": "company"}[sub]
		if len(args) == 1 {
			opts[name] = args[0]
		} else if len(args) > 1 {
			opts["bad"] = rest(0)
		}
	case "invite-customer":
		if len(args) > 0 {
			opts["company"], opts["subject"] = args[0], rest(1)
		}
	default:
		if len(args) > 0 {
			opts["request"] = args[0]
		}
		if name := restOf[sub]; name != "" {
			opts[name] = rest(1)
		}
	}
	return sub, opts
}

// restOf names what follows the request's number in a request command.
var restOf = map[string]string{"note": "text", "transfer": "colleague", "invite": "colleague", "close": "note"}

// Command answers one /support. A refusal is an answer; an error means
// relaydesk failed.
func (c *Chat) Command(ctx context.Context, cmd Command) (Answer, error) {
	a, err := c.command(ctx, cmd)
	var ue *usageError
	if errors.As(err, &ue) {
		return Answer{Text: ue.Error()}, nil
	}
	msg, err := Refusal(err)
	if msg != "" {
		return Answer{Text: msg}, nil
	}
	return a, err
}

func (c *Chat) command(ctx context.Context, cmd Command) (Answer, error) {
	sub, opts := strings.ToLower(cmd.Sub), cmd.Opts
	if sub == "" || sub == "help" {
		return Answer{Text: c.cfg.Help}, nil
	}
	if _, ok := Usage[sub]; !ok {
		return Answer{Text: fmt.Sprintf("`/support %s` is not a command.\n\n%s", sub, c.cfg.Help)}, nil
	}
	if sub == "link" {
		if opts["code"] == "" {
			return Answer{}, badUsage(sub, "Give the code you were sent.")
		}
		t, err := bots.RedeemLinkCode(ctx, c.store, c.store, c.eng, c.cfg.Name, cmd.User, opts["code"])
		if err != nil {
			return Answer{}, err
		}
		return Answer{Text: fmt.Sprintf("Your %s account is now linked to %s (%s). `/support list` shows your requests.",
			c.cfg.Title, t.Name, t.Email)}, nil
	}
	t, ok, err := c.Technician(ctx, cmd.User)
	if err != nil || !ok {
		return Answer{Text: c.Unlinked()}, err
	}
	by := core.TechnicianActor(t.ID)
	var text string
	switch sub {
	case "list":
		return c.list(ctx, by, opts)
	case "status":
		if !core.Availability(opts["status"]).Valid() {
			return Answer{}, badUsage(sub, "Choose one status.")
		}
		_, err = c.eng.SetAvailability(ctx, by, core.Availability(opts["status"]))
		text = "You are now " + opts["status"] + "."
	case "notify":
		if s := opts["setting"]; s != "on" && s != "off" {
			return Answer{}, badUsage(sub, "Say on or off.")
		}
		text, err = c.setNotify(ctx, t, opts["setting"] == "on")
	case "setup":
		if opts["company"] == "" {
			return Answer{}, badUsage(sub, "Name the company whose queue this channel becomes.")
		}
		text, err = c.setup(ctx, by, cmd.Channel, opts["company"])
	case "invite-customer":
		if opts["company"] == "" {
			return Answer{}, badUsage(sub, "Name the company.")
		}
		text, err = bots.InviteCustomer(ctx, c.eng, c.store, by, c.cfg.PublicURL, opts["company"], opts["subject"])
	default:
		text, err = c.requestCommand(ctx, by, cmd, sub)
	}
	return Answer{Text: text}, err
}

// requestCommand runs the subcommands that act on one request: a note, or
// an action of the engine's vocabulary.
func (c *Chat) requestCommand(ctx context.Context, by core.Actor, cmd Command, sub string) (string, error) {
	opts := cmd.Opts
	if opts["request"] == "" {
		return "", badUsage(sub, "Give the request's number.")
	}
	company, err := c.ChannelCompany(ctx, cmd.Channel)
	if err != nil {
		return "", err
	}
	r, err := bots.FindRequest(ctx, c.eng, c.store, by, company, opts["request"])
	if err != nil {
		return "", err
	}
	if sub == "note" {
		if opts["text"] == "" {
			return "", badUsage(sub, "Write the note after the number.")
		}
		_, err = c.eng.AddNote(ctx, by, r.ID, core.Note{Body: opts["text"], Key: cmd.Key})
		return fmt.Sprintf("Private note added to request #%d.", r.Number), err
	}
	act, err := core.ParseAction(sub)
	if err != nil {
		return "", core.Errorf(core.CodeInvalid, "/support %s is not a command", sub)
	}
	with := core.ActionArgs{Note: opts["note"]}
	var name string
	if act.NeedsTechnician() {
		if opts["colleague"] == "" {
			return "", badUsage(sub, "Name the colleague.")
		}
		to, err := c.colleague(ctx, opts["colleague"])
		if err != nil {
			return "", err
		}
		with, name = core.ActionArgs{Technician: to.ID}, to.Name
	}
	_, err = c.eng.Act(ctx, by, r.ID, act, with)
	return bots.ActionDone(act, r, name), err
}

// colleague is a technician named by e-mail or by a mention of a linked
// platform account.
func (c *Chat) colleague(ctx context.Context, ref string) (core.Technician, error) {
	if user, ok := c.cfg.Mention(ref); ok {
		t, ok, err := c.Technician(ctx, user)
		if err != nil {
			return t, err
		} else if !ok {
			return t, core.Errorf(core.CodeNotFound, "%s has not linked their %s account to relaydesk", ref, c.cfg.Title)
		}
		return t, nil
	}
	t, err := c.store.TechnicianByEmail(ctx, ref)
	if core.ErrorCode(err) == core.CodeNotFound {
		return t, core.Errorf(core.CodeNotFound, "there is no technician %s", ref)
	}
	return t, err
}

// setup makes channel the queue of the company named by slug (the engine
// lets admins only).
func (c *Chat) setup(ctx context.Context, by core.Actor, channel, slug string) (string, error) {
	co, err := c.store.CompanyBySlug(ctx, slug)
	if core.ErrorCode(err) == core.CodeNotFound {
		return "", core.Errorf(core.CodeNotFound, "there is no company %q (use its URL name, as in `relaydesk admin company list`)", slug)
	} else if err != nil {
		return "", err
	}
	if _, err := c.eng.BindChannel(ctx, by, c.cfg.Name, co.ID, channel); err != nil {
		return "", err
	}
	return fmt.Sprintf("This channel is now %s's queue: each new request gets a card here, and the card's thread is the chat. %s",
		co.Name, c.cfg.SetupHint), nil
}

// list answers /support list: its title and requests, which the platform
// renders.
func (c *Chat) list(ctx context.Context, by core.Actor, opts map[string]string) (Answer, error) {
	if bad := opts["bad"]; bad != "" {
		return Answer{}, badUsage("list", fmt.Sprintf("%q is not a view, a column or an order.", bad))
	}
	req := core.QueueRequest{View: core.ViewAll, Limit: 20, Sort: core.SortColumn(opts["sort"]), Desc: opts["order"] == "desc"}
	if v := opts["view"]; v != "" {
		req.View = core.View(v)
	}
	page, err := c.eng.Queue(ctx, by, req)
	if err != nil {
		return Answer{}, err
	}
	title := c.m.Bold(fmt.Sprintf("%s requests", req.View)) + fmt.Sprintf(" (%d)", len(page.Requests))
	if len(page.Requests) == 0 {
		return Answer{Text: title + ": none."}, nil
	}
	return Answer{Text: title, List: page.Requests}, nil
}

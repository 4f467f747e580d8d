package main_test

import "testing"

// TestAdminLifecycle: deactivating, reactivating and re-roling technicians
// and renaming and archiving companies from the CLI, on each database, with
// the refusals that keep the desk manageable.
func TestAdminLifecycle(t *testing.T) {
	t.Parallel()
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			p := newProgram(t, b.url(t))
			steps := []step{
				{args: args("admin company create --name Acme")},
				{args: args("admin tech create --email ada@example.com --name Ada --role admin --no-password")},
				{args: args("admin tech create --email bob@example.com --name Bob --no-password")},

				{args: args("admin tech deactivate --email ada@example.com"), code: 1,
					stderr: []string{"relaydesk: Ada is the last active admin: make another technician an admin before you deactivate them"}},
				{args: args("admin tech role --email ada@example.com --role technician"), code: 1,
					stderr: []string{"Ada is the last active admin"}},
				{args: args("admin tech role --email bob@example.com --role boss"), code: 2,
					stderr: []string{`--role "boss": use admin or technician`, "usage: relaydesk admin tech role --email EMAIL --role admin|technician"}},
				{args: args("admin tech role --role admin"), code: 2, stderr: []string{"--email is required"}},
				{args: args("admin tech deactivate"), code: 2, stderr: []string{"--email is required"}},
				{args: args("admin tech deactivate --email ghost@example.com"), code: 1,
					stderr: []string{`there is no technician "ghost@example.com"`}},

				{args: args("admin tech deactivate --email bob@example.com"),
					stdout: []string{"bob@example.com is deactivated: signed out everywhere, chat accounts unlinked"}},
				{args: args("admin tech list"), stdout: []string{"bob@example.com", "Bob", "technician", "deactivated"}},
				{args: args("admin tech deactivate --email bob@example.com"), code: 1, stderr: []string{"Bob is deactivated already"}},
				{args: args("admin tech return-requests --email bob@example.com"), stdout: []string{"0 open request(s) of bob@example.com are back in the queue"}},
				{args: args("admin tech return-requests --email ada@example.com"), code: 1,
					stderr: []string{"Ada is active: they unassign or transfer their own requests"}},
				{args: args("admin tech return-requests"), code: 2, stderr: []string{"--email is required"}},
				{args: args("admin tech reactivate --email bob@example.com"),
					stdout: []string{"bob@example.com is active again"}},
				{args: args("admin tech list"), stdout: []string{"bob@example.com"}, notStdout: []string{"deactivated"}},
				{args: args("admin tech role --email bob@example.com --role admin"), stdout: []string{"bob@example.com is now admin"}},
				{args: args("admin tech role --email ada@example.com --role technician"), stdout: []string{"ada@example.com is now technician"}},

				{args: []string{"admin", "company", "rename", "--slug", "acme", "--name", "Acme Industries"},
					stdout: []string{"renamed company acme: Acme -> Acme Industries"}},
				{args: args("admin company rename --slug acme"), code: 2, stderr: []string{"--name is required"}},
				{args: args("admin company rename --slug nope --name X"), code: 1, stderr: []string{`there is no company "nope"`}},
				{args: args("admin company archive --slug acme"),
					stdout: []string{"archived company acme: it takes no new requests"}},
				{args: args("admin company list"), stdout: []string{"acme", "Acme Industries (archived)"}},
				{args: args("admin company archive --slug acme"), code: 1, stderr: []string{"Acme Industries is archived already"}},
				{args: args("admin company unarchive --slug acme"), stdout: []string{"company acme takes new requests again"}},
				{args: args("admin company list"), stdout: []string{"Acme Industries"}, notStdout: []string{"(archived)"}},
				{args: args("admin company archive"), code: 2, stderr: []string{"--slug is required"}},
			}
			for _, s := range steps {
				s.run(t, p)
			}
		})
	}
}

package dev.berth.support;

/** The demo users of the development realm (src/dev/keycloak/berth-realm.json). */
public enum DemoUser {
    ALICE("alice", "alice-dev-password"),   // tenant acme
    BOB("bob", "bob-dev-password"),         // tenant globex
    CAROL("carol", "carol-dev-password"),   // berth-admin, no tenant
    DAVE("dave", "dave-dev-password"),      // tenants acme and globex
    ERIN("erin", "erin-dev-password");      // no tenant, no role

    private final String username;
    private final String password;

    DemoUser(String username, String password) {
        this.username = username;
        this.password = password;
    }

    public String username() {
        return username;
    }

    public String password() {
        return password;
    }

    public String token() {
        return Keycloak.accessToken(this);
    }
}

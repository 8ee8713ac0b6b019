package dev.berth.tenancy;

/** Realm roles Berth understands (read from the token's {@code realm_access.roles}). */
public final class Roles {
    public static final String ADMIN = "berth-admin";

    private Roles() {
    }
}

package dev.berth.audit;

/** Who acts, as the audit log records it: a username (or "system" for scheduled work) and the request. */
public record Actor(String username, String tenant, String requestId) {
    public static Actor system(String what) {
        return new Actor("system:" + what, null, null);
    }
}

package dev.berth.tenancy;

/** A change asked of a suspended tenant: refused (403, audited as DENIED), pages and API alike. */
public class TenantSuspendedException extends RuntimeException {
    private final String slug;

    public TenantSuspendedException(String slug) {
        super("Tenant " + slug + " is suspended: it is read-only until an administrator resumes it.");
        this.slug = slug;
    }

    public String slug() {
        return slug;
    }
}

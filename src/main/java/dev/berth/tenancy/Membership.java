package dev.berth.tenancy;

import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.TreeSet;
import java.util.regex.Pattern;

/**
 * Decides which tenants a user belongs to and which one a request acts for. Pure logic: the identity
 * provider's groups come in, tenant slugs come out.
 */
public final class Membership {
    /** DNS-label shaped, because slugs end up in container and bucket names. */
    public static final Pattern SLUG = Pattern.compile("[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?");

    private Membership() {
    }

    /** Tenant slugs from group paths: only direct children of the prefix with a valid slug count. */
    public static List<String> tenantSlugs(Collection<String> groups, String prefix) {
        var slugs = new TreeSet<String>();
        for (String group : groups) {
            if (group == null || !group.startsWith(prefix)) {
                continue;
            }
            String slug = group.substring(prefix.length());
            if (SLUG.matcher(slug).matches()) {
                slugs.add(slug);
            }
        }
        return List.copyOf(slugs);
    }

    /**
     * The tenant a request acts for.
     *
     * @param members   the user's tenant slugs, sorted
     * @param explicit  a tenant the client named for this request (API header); must be one of {@code members}
     * @param remembered the tenant remembered from an earlier switch (cookie); ignored when no longer valid
     */
    public static Optional<String> current(List<String> members, Optional<String> explicit, Optional<String> remembered) {
        if (explicit.isPresent()) {
            if (!members.contains(explicit.get())) {
                throw new NotAMemberException(explicit.get());
            }
            return explicit;
        }
        if (remembered.isPresent() && members.contains(remembered.get())) {
            return remembered;
        }
        return members.stream().findFirst();
    }

    /** The user asked to act for a tenant it does not belong to. */
    public static final class NotAMemberException extends RuntimeException {
        public NotAMemberException(String slug) {
            super("You are not a member of tenant '" + slug + "'.");
        }
    }
}

package dev.berth.tenancy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Tag;
import dev.berth.support.DatabasePass;

@Tag(DatabasePass.INDEPENDENT)
class MembershipTest {
    @Test
    void onlyDirectChildrenOfThePrefixWithValidSlugsAreTenants() {
        var groups = List.of("/tenants/globex", "/tenants/acme", "/admins", "/tenants/acme/ops", "/tenants/",
                "/tenants/Bad_Slug", "/tenants/-dash", "/tenantsx/acme", "/tenants/acme");
        assertEquals(List.of("acme", "globex"), Membership.tenantSlugs(groups, "/tenants/"));
    }

    @Test
    void noGroupsNoTenants() {
        assertEquals(List.of(), Membership.tenantSlugs(List.of(), "/tenants/"));
    }

    @Test
    void explicitTenantMustBeOneOfTheUsers() {
        var members = List.of("acme", "globex");
        assertEquals(Optional.of("globex"), Membership.current(members, Optional.of("globex"), Optional.of("acme")));
        var e = assertThrows(Membership.NotAMemberException.class,
                () -> Membership.current(members, Optional.of("initech"), Optional.empty()));
        assertEquals("You are not a member of tenant 'initech'.", e.getMessage());
    }

    @Test
    void rememberedTenantCountsOnlyWhileStillAMember() {
        var members = List.of("acme", "globex");
        assertEquals(Optional.of("globex"), Membership.current(members, Optional.empty(), Optional.of("globex")));
        assertEquals(Optional.of("acme"), Membership.current(members, Optional.empty(), Optional.of("initech")));
        assertEquals(Optional.of("acme"), Membership.current(members, Optional.empty(), Optional.empty()));
    }

    @Test
    void noMembershipNoCurrentTenant() {
        assertEquals(Optional.empty(), Membership.current(List.of(), Optional.empty(), Optional.of("acme")));
    }
}

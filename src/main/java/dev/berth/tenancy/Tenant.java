package dev.berth.tenancy;

import io.quarkus.hibernate.orm.panache.PanacheEntityBase;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.GeneratedValue;
import jakarta.persistence.GenerationType;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import java.time.Instant;
import java.util.Optional;

@Entity
@Table(name = "tenant")
public class Tenant extends PanacheEntityBase {
    @Id
    @GeneratedValue(strategy = GenerationType.IDENTITY)
    public Long id;

    @Column(nullable = false, unique = true, length = 63)
    public String slug;

    @Column(nullable = false, length = 200)
    public String name;

    @Column(name = "created_at", nullable = false)
    public Instant createdAt;

    @Column(nullable = false)
    public boolean suspended;

    /** While suspended: whether its access keys keep working (read-only portal, data still reachable from VMs). */
    @Column(name = "keep_data_access", nullable = false)
    public boolean keepDataAccess;

    public static Optional<Tenant> findBySlug(String slug) {
        return find("slug", slug).firstResultOptional();
    }
}

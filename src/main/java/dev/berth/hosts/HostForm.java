package dev.berth.hosts;

import org.jboss.resteasy.reactive.RestForm;

/** The host form as posted by the page. */
public class HostForm {
    @RestForm
    public String name;
    @RestForm
    public String kind;
    @RestForm
    public String uri;
    @RestForm
    public String storageAddress;
    @RestForm
    public String labels;
    /** A checkbox: present when ticked. */
    @RestForm
    public String enabled;
    @RestForm
    public String tlsCaPem;
    @RestForm
    public String tlsCertPem;
    @RestForm
    public String tlsKeyPem;

    HostInput toInput() {
        return new HostInput(name, kind, uri, storageAddress, labels, enabled != null, tlsCaPem, tlsCertPem, tlsKeyPem);
    }
}

package dev.berth.compute;

import java.io.StringWriter;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import javax.xml.XMLConstants;
import javax.xml.parsers.DocumentBuilderFactory;
import javax.xml.parsers.ParserConfigurationException;
import javax.xml.transform.OutputKeys;
import javax.xml.transform.TransformerException;
import javax.xml.transform.TransformerFactory;
import javax.xml.transform.dom.DOMSource;
import javax.xml.transform.stream.StreamResult;
import org.w3c.dom.Document;
import org.w3c.dom.Element;

/**
 * The libvirt XML Berth writes for the machines it makes, built with the JDK's DOM (every value is escaped by the
 * serializer, never pasted into a string). The rules from the KVM notes are fixed here: the disk is a qcow2
 * overlay on the image on virtio-blk with {@code cache='none' io='native'} (no host page cache; native AIO needs
 * O_DIRECT), NICs are virtio. No libvirt here; the adapter only sends the text.
 */
public final class MachineXml {
    static final String QEMU_NS = "http://libvirt.org/schemas/domain/qemu/1.0";
    static final String BERTH_NS = "https://berth.dev/xmlns/machine/1";

    /**
     * How a host connects guests: a bridge or libvirt network an administrator set up, none, or (development and tests
     * only) QEMU's user-mode network restricted to one forwarded port on the host's 127.0.0.1.
     */
    public sealed interface Network {
        record None() implements Network {
        }

        record Bridge(String bridge) implements Network {
        }

        record Libvirt(String network) implements Network {
        }

        /** The guest reaches {@code guestAddress:guestPort}, forwarded to 127.0.0.1:{@code hostPort}, and nothing else. */
        record Restricted(String guestAddress, int guestPort, int hostPort) implements Network {
        }
    }

    /** Optional direct kernel boot (an image without a boot loader, such as the test guest). */
    public record KernelBoot(String kernel, String initrd, String cmdline) {
    }

    /**
     * Everything the domain XML says.
     *
     * @param type      libvirt's domain type: kvm, qemu (TCG) or test (libvirt's test driver)
     * @param seedPath  the cloud-init NoCloud seed (an ISO labelled cidata), or null
     */
    public record DomainSpec(String type, String name, String uuid, String tenant, String machine, int vcpus,
                             long memoryBytes, String overlayPath, String basePath, String seedPath, Network network,
                             KernelBoot kernel) {
    }

    private MachineXml() {
    }

    public static String domain(DomainSpec s) {
        Document doc = newDocument();
        Element domain = doc.createElement("domain");
        doc.appendChild(domain);
        domain.setAttribute("type", s.type());
        boolean restricted = s.network() instanceof Network.Restricted;
        if (restricted) {
            domain.setAttribute("xmlns:qemu", QEMU_NS);
        }
        text(domain, "name", s.name());
        text(domain, "uuid", s.uuid());
        Element meta = add(domain, "metadata");
        Element mine = doc.createElementNS(BERTH_NS, "berth:machine");
        mine.setAttribute("tenant", s.tenant());
        mine.setAttribute("name", s.machine());
        meta.appendChild(mine);
        text(domain, "memory", String.valueOf(s.memoryBytes() / 1024)).setAttribute("unit", "KiB");
        text(domain, "vcpu", String.valueOf(s.vcpus()));
        Element os = add(domain, "os");
        Element type = text(os, "type", "hvm");
        type.setAttribute("arch", "x86_64");
        if (s.kernel() != null) {
            text(os, "kernel", s.kernel().kernel());
            if (s.kernel().initrd() != null) {
                text(os, "initrd", s.kernel().initrd());
            }
            text(os, "cmdline", s.kernel().cmdline());
        } else {
            add(os, "boot").setAttribute("dev", "hd");
        }
        Element features = add(domain, "features");
        add(features, "acpi");
        add(features, "apic");
        if ("kvm".equals(s.type())) {
            add(domain, "cpu").setAttribute("mode", "host-passthrough");
        }
        text(domain, "on_poweroff", "destroy");
        text(domain, "on_reboot", "restart");
        text(domain, "on_crash", "destroy");
        Element devices = add(domain, "devices");
        Element disk = add(devices, "disk");
        disk.setAttribute("type", "file");
        disk.setAttribute("device", "disk");
        Element driver = add(disk, "driver");
        driver.setAttribute("name", "qemu");
        driver.setAttribute("type", "qcow2");
        driver.setAttribute("cache", "none");
        driver.setAttribute("io", "native");
        driver.setAttribute("discard", "unmap");
        add(disk, "source").setAttribute("file", s.overlayPath());
        if (s.basePath() != null) {
            Element backing = add(disk, "backingStore");
            backing.setAttribute("type", "file");
            add(backing, "format").setAttribute("type", "qcow2");
            add(backing, "source").setAttribute("file", s.basePath());
        }
        Element target = add(disk, "target");
        target.setAttribute("dev", "vda");
        target.setAttribute("bus", "virtio");
        if (s.seedPath() != null) {
            Element seed = add(devices, "disk");
            seed.setAttribute("type", "file");
            seed.setAttribute("device", "cdrom");
            Element sd = add(seed, "driver");
            sd.setAttribute("name", "qemu");
            sd.setAttribute("type", "raw");
            add(seed, "source").setAttribute("file", s.seedPath());
            Element st = add(seed, "target");
            st.setAttribute("dev", "sda");
            st.setAttribute("bus", "sata");
            add(seed, "readonly");
        }
        switch (s.network()) {
            case Network.Bridge b -> nic(devices, "bridge", "bridge", b.bridge());
            case Network.Libvirt n -> nic(devices, "network", "network", n.network());
            case Network.None n -> {
            }
            case Network.Restricted r -> {
            } // below, as QEMU arguments
        }
        Element serial = add(devices, "serial");
        serial.setAttribute("type", "pty");
        add(serial, "target").setAttribute("port", "0");
        Element console = add(devices, "console");
        console.setAttribute("type", "pty");
        Element ct = add(console, "target");
        ct.setAttribute("type", "serial");
        ct.setAttribute("port", "0");
        Element graphics = add(devices, "graphics");
        graphics.setAttribute("type", "vnc");
        graphics.setAttribute("listen", "127.0.0.1");
        graphics.setAttribute("autoport", "yes");
        add(add(devices, "video"), "model").setAttribute("type", "vga");
        if (s.network() instanceof Network.Restricted r) {
            // libvirt has no element for restrict=on and guestfwd; its cmd: form starts socat per connection, which
            // QEMU's seccomp sandbox forbids, so the sandbox is dropped for this domain only.
            Element cmd = doc.createElementNS(QEMU_NS, "qemu:commandline");
            domain.appendChild(cmd);
            arg(cmd, "-netdev");
            arg(cmd, "user,id=n0,restrict=on,ipv6=off,guestfwd=tcp:" + r.guestAddress() + ":" + r.guestPort()
                    + "-cmd:/usr/bin/socat STDIO TCP:127.0.0.1:" + r.hostPort());
            arg(cmd, "-device");
            arg(cmd, "virtio-net-pci,netdev=n0,bus=pci.0,addr=0x10"); // a slot libvirt does not hand out to its own devices
            Element caps = doc.createElementNS(QEMU_NS, "qemu:capabilities");
            domain.appendChild(caps);
            Element del = doc.createElementNS(QEMU_NS, "qemu:del");
            del.setAttribute("capability", "seccomp-sandbox");
            caps.appendChild(del);
        }
        return write(doc);
    }

    /** A qcow2 overlay of {@code capacityBytes} on the base image at {@code basePath}. */
    public static String overlayVolume(String name, long capacityBytes, String basePath, String baseFormat) {
        Document doc = newDocument();
        Element vol = doc.createElement("volume");
        doc.appendChild(vol);
        text(vol, "name", name);
        text(vol, "capacity", String.valueOf(capacityBytes)).setAttribute("unit", "bytes");
        add(add(vol, "target"), "format").setAttribute("type", "qcow2");
        Element backing = add(vol, "backingStore");
        text(backing, "path", basePath);
        add(backing, "format").setAttribute("type", baseFormat == null ? "qcow2" : baseFormat.toLowerCase(Locale.ROOT));
        return write(doc);
    }

    /** A raw volume for a seed image of this many bytes. */
    public static String rawVolume(String name, long bytes) {
        Document doc = newDocument();
        Element vol = doc.createElement("volume");
        doc.appendChild(vol);
        text(vol, "name", name);
        text(vol, "capacity", String.valueOf(bytes)).setAttribute("unit", "bytes");
        add(add(vol, "target"), "format").setAttribute("type", "raw");
        return write(doc);
    }

    /** The network a host's labels ask for: {@code network=bridge:br0}, {@code network=libvirt:default}, or none. */
    public static Network network(java.util.Map<String, String> labels) {
        String v = labels == null ? null : labels.get("network");
        if (v == null || v.isBlank() || v.equals("none")) {
            return new Network.None();
        }
        if (v.startsWith("bridge:")) {
            return new Network.Bridge(v.substring("bridge:".length()));
        }
        if (v.startsWith("libvirt:")) {
            return new Network.Libvirt(v.substring("libvirt:".length()));
        }
        // "restricted": user-mode networking to the tenant's storage only, set up per machine (it needs the instance's port)
        return new Network.None();
    }

    /** libvirt's domain type for a host: its test driver takes only 'test'; a label virt=qemu asks for TCG. */
    public static String domainType(String uri, java.util.Map<String, String> labels) {
        if (uri != null && uri.startsWith("test:")) {
            return "test";
        }
        return Optional.ofNullable(labels == null ? null : labels.get("virt")).filter(List.of("qemu", "kvm")::contains).orElse("kvm");
    }

    /** The format a volume's XML names ({@code <target><format type='qcow2'/>}), or null; a volume XML comes from a host. */
    static String volumeFormat(String volumeXml) {
        try {
            DocumentBuilderFactory f = DocumentBuilderFactory.newInstance();
            f.setFeature(XMLConstants.FEATURE_SECURE_PROCESSING, true);
            f.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
            var b = f.newDocumentBuilder();
            b.setErrorHandler(null);
            Element root = b.parse(new org.xml.sax.InputSource(new java.io.StringReader(volumeXml))).getDocumentElement();
            var targets = root.getElementsByTagName("target");
            for (int i = 0; i < targets.getLength(); i++) {
                Element t = (Element) targets.item(i);
                if (t.getParentNode() == root) {
                    var formats = t.getElementsByTagName("format");
                    return formats.getLength() == 0 ? null : ((Element) formats.item(0)).getAttribute("type");
                }
            }
            return null;
        } catch (ParserConfigurationException | org.xml.sax.SAXException | java.io.IOException e) {
            return null; // unknown format: the caller says so
        }
    }

    private static void nic(Element devices, String type, String sourceAttr, String source) {
        Element nic = add(devices, "interface");
        nic.setAttribute("type", type);
        add(nic, "source").setAttribute(sourceAttr, source);
        add(nic, "model").setAttribute("type", "virtio");
    }

    private static void arg(Element cmd, String value) {
        Element a = cmd.getOwnerDocument().createElementNS(QEMU_NS, "qemu:arg");
        a.setAttribute("value", value);
        cmd.appendChild(a);
    }

    private static Element add(Element parent, String name) {
        Element e = parent.getOwnerDocument().createElement(name);
        parent.appendChild(e);
        return e;
    }

    private static Element text(Element parent, String name, String value) {
        Element e = add(parent, name);
        e.setTextContent(value);
        return e;
    }

    private static Document newDocument() {
        try {
            DocumentBuilderFactory f = DocumentBuilderFactory.newInstance();
            f.setFeature(XMLConstants.FEATURE_SECURE_PROCESSING, true);
            return f.newDocumentBuilder().newDocument();
        } catch (ParserConfigurationException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String write(Document doc) {
        try {
            var t = TransformerFactory.newInstance();
            t.setAttribute(XMLConstants.ACCESS_EXTERNAL_DTD, "");
            t.setAttribute(XMLConstants.ACCESS_EXTERNAL_STYLESHEET, "");
            var tf = t.newTransformer();
            tf.setOutputProperty(OutputKeys.OMIT_XML_DECLARATION, "yes");
            tf.setOutputProperty(OutputKeys.INDENT, "yes");
            var out = new StringWriter();
            tf.transform(new DOMSource(doc), new StreamResult(out));
            return out.toString();
        } catch (TransformerException e) {
            throw new IllegalStateException(e);
        }
    }
}

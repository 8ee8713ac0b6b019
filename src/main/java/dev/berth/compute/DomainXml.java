package dev.berth.compute;

import java.io.IOException;
import java.io.StringReader;
import java.util.ArrayList;
import java.util.List;
import javax.xml.XMLConstants;
import javax.xml.parsers.DocumentBuilder;
import javax.xml.parsers.DocumentBuilderFactory;
import javax.xml.parsers.ParserConfigurationException;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.Node;
import org.xml.sax.InputSource;
import org.xml.sax.SAXException;

/**
 * The parts of a libvirt domain XML ({@code virDomainGetXMLDesc}) that Berth shows, read with the JDK's DOM parser.
 *
 * <p>The XML comes from a host, so it is not trusted: DOCTYPEs are refused outright (libvirt never sends one),
 * which rules out entity expansion and external entities; secure processing caps what is left. No libvirt here:
 * sizes and counters are added by the adapter.
 */
final class DomainXml {
    /** A {@code <disk device='disk'>}; @param source file, block device, network name or pool/volume, or null */
    record Disk(String target, String bus, String format, String cache, String source, String backingFile) {
        Disk(String target, String bus, String format, String cache, String source) {
            this(target, bus, format, cache, source, null);
        }
    }

    /** An {@code <interface>}; @param targetDev the host-side device (tap), needed for interface stats, or null */
    record Nic(String model, String mac, String network, String bridge, String targetDev) {
    }

    /** @param graphics the first {@code <graphics>} element, or null when the domain has none */
    record Parsed(List<Disk> disks, List<Nic> nics, DomainDetail.Graphics graphics) {
    }

    private DomainXml() {
    }

    static Parsed parse(String xml) throws HypervisorException {
        Element domain = read(xml).getDocumentElement();
        if (!"domain".equals(domain.getTagName())) {
            throw new HypervisorException("not a libvirt domain description: <" + domain.getTagName() + ">");
        }
        List<Disk> disks = new ArrayList<>();
        List<Nic> nics = new ArrayList<>();
        DomainDetail.Graphics graphics = null;
        Element devices = child(domain, "devices");
        if (devices != null) {
            for (Element device : children(devices)) {
                switch (device.getTagName()) {
                    case "disk" -> {
                        if ("disk".equals(device.getAttribute("device"))) { // not cdrom, floppy, lun
                            disks.add(disk(device));
                        }
                    }
                    case "interface" -> nics.add(nic(device));
                    case "graphics" -> {
                        if (graphics == null) {
                            graphics = graphics(device);
                        }
                    }
                    default -> {
                        // controllers, video, consoles …: not shown
                    }
                }
            }
        }
        return new Parsed(List.copyOf(disks), List.copyOf(nics), graphics);
    }

    private static Disk disk(Element disk) {
        Element target = child(disk, "target");
        Element driver = child(disk, "driver");
        Element backing = child(disk, "backingStore");
        return new Disk(attr(target, "dev"), attr(target, "bus"), attr(driver, "type"), attr(driver, "cache"),
                source(child(disk, "source")), backing == null ? null : source(child(backing, "source")));
    }

    /** file (type file), dev (type block), name (type network), pool/volume (type volume). */
    private static String source(Element source) {
        if (source == null) {
            return null; // e.g. an empty drive
        }
        for (String name : List.of("file", "dev", "name")) {
            String value = attr(source, name);
            if (value != null) {
                return value;
            }
        }
        String volume = attr(source, "volume");
        String pool = attr(source, "pool");
        return volume == null ? null : pool == null ? volume : pool + "/" + volume;
    }

    private static Nic nic(Element nic) {
        Element source = child(nic, "source");
        return new Nic(attr(child(nic, "model"), "type"), attr(child(nic, "mac"), "address"),
                attr(source, "network"), attr(source, "bridge"), attr(child(nic, "target"), "dev"));
    }

    /** port -1 when absent, unparsable or not yet assigned by autoport (libvirt writes port='-1' then). */
    private static DomainDetail.Graphics graphics(Element graphics) {
        int port = -1;
        String portText = attr(graphics, "port");
        if (portText != null) {
            try {
                port = Math.max(-1, Integer.parseInt(portText));
            } catch (NumberFormatException e) {
                port = -1;
            }
        }
        String listen = attr(graphics, "listen");
        if (listen == null) {
            listen = attr(child(graphics, "listen"), "address"); // <listen type='address' address='…'/>
        }
        return new DomainDetail.Graphics(attr(graphics, "type"), port, listen);
    }

    private static Document read(String xml) throws HypervisorException {
        if (xml == null || xml.isBlank()) {
            throw new HypervisorException("the host sent an empty domain description");
        }
        try {
            DocumentBuilder builder = factory().newDocumentBuilder();
            builder.setErrorHandler(null); // no "[Fatal Error]" on stderr: the exception says it
            builder.setEntityResolver((publicId, systemId) -> {
                throw new SAXException("external entities are not read: " + systemId);
            });
            return builder.parse(new InputSource(new StringReader(xml)));
        } catch (SAXException | IOException e) {
            throw new HypervisorException("the host sent a domain description that is not valid XML: "
                    + e.getMessage(), e);
        } catch (ParserConfigurationException e) {
            throw new IllegalStateException("the JDK XML parser lacks a security feature", e);
        }
    }

    private static DocumentBuilderFactory factory() throws ParserConfigurationException {
        DocumentBuilderFactory factory = DocumentBuilderFactory.newInstance();
        factory.setFeature(XMLConstants.FEATURE_SECURE_PROCESSING, true);
        factory.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
        factory.setFeature("http://xml.org/sax/features/external-general-entities", false);
        factory.setFeature("http://xml.org/sax/features/external-parameter-entities", false);
        factory.setFeature("http://apache.org/xml/features/nonvalidating/load-external-dtd", false);
        factory.setAttribute(XMLConstants.ACCESS_EXTERNAL_DTD, "");
        factory.setAttribute(XMLConstants.ACCESS_EXTERNAL_SCHEMA, "");
        factory.setXIncludeAware(false);
        factory.setExpandEntityReferences(false);
        factory.setNamespaceAware(false); // libvirt's own elements carry no namespace; metadata is skipped
        return factory;
    }

    private static List<Element> children(Element parent) {
        List<Element> elements = new ArrayList<>();
        for (Node node = parent.getFirstChild(); node != null; node = node.getNextSibling()) {
            if (node instanceof Element element) {
                elements.add(element);
            }
        }
        return elements;
    }

    private static Element child(Element parent, String name) {
        if (parent == null) {
            return null;
        }
        for (Node node = parent.getFirstChild(); node != null; node = node.getNextSibling()) {
            if (node instanceof Element element && name.equals(element.getTagName())) {
                return element;
            }
        }
        return null;
    }

    /** The attribute's value, or null when the element or the attribute is absent (DOM says "" for both). */
    private static String attr(Element element, String name) {
        if (element == null || !element.hasAttribute(name)) {
            return null;
        }
        return element.getAttribute(name);
    }
}

package chameleon.runtime.serve;

import chameleon.runtime.io.DemoImages;
import chameleon.runtime.io.FrameSize;
import chameleon.runtime.io.RgbConverter;
import chameleon.runtime.io.RgbImage;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import javax.imageio.ImageIO;

/**
 * The photos the page can choose from, by id: the demo person and demo garments, then whatever tabs
 * upload. Shared by every tab (an upload shows up in the strip of tabs that reload the list); the oldest
 * uploads are forgotten past {@link #MAX_UPLOADS} so memory stays bounded. Thread-safe.
 */
final class ImageLibrary {
    /** Uploads kept; sessions already streaming hold their own tensors and are not affected by eviction. */
    static final int MAX_UPLOADS = 32;
    private static final int THUMB_HEIGHT = 160;

    /** Whether a photo is a person (reference) or a garment. */
    enum Kind {
        REFERENCE, GARMENT;

        static Optional<Kind> parse(String s) {
            return switch (s == null ? "" : s) {
                case "reference" -> Optional.of(REFERENCE);
                case "garment" -> Optional.of(GARMENT);
                default -> Optional.empty();
            };
        }

        String wire() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /** One photo and its thumbnail (PNG, small enough for the strip). */
    record Entry(String id, Kind kind, String name, RgbImage image, byte[] thumbnailPng, boolean upload) {
    }

    private final Map<String, Entry> entries = new LinkedHashMap<>();
    private int uploads;

    /** The demo person and the demo garments drawn at {@code size}. */
    static ImageLibrary withDemoImages(FrameSize size) {
        ImageLibrary library = new ImageLibrary();
        library.put("person-demo", Kind.REFERENCE, "demo person",
                RgbConverter.convert(DemoImages.person(size.width(), size.height()), "demo person"), false);
        for (DemoImages.Garment g : DemoImages.Garment.values()) {
            String name = g.name().toLowerCase(Locale.ROOT).replace('_', ' ');
            library.put("garment-" + g.name().toLowerCase(Locale.ROOT), Kind.GARMENT, name,
                    RgbConverter.convert(DemoImages.garment(g, size.width(), size.height()), name), false);
        }
        return library;
    }

    /** Adds an uploaded photo; returns its entry (with a fresh id). */
    synchronized Entry add(Kind kind, String name, RgbImage image) {
        String id = "upload-" + (++uploads);
        Entry e = put(id, kind, name, image, true);
        List<String> old = entries.values().stream().filter(Entry::upload).map(Entry::id).toList();
        for (int i = 0; i < old.size() - MAX_UPLOADS; i++) {
            entries.remove(old.get(i));
        }
        return e;
    }

    synchronized Optional<Entry> get(String id) {
        return Optional.ofNullable(entries.get(id));
    }

    /** Entries in the order they were added (demo images first). */
    synchronized List<Entry> list() {
        return new ArrayList<>(entries.values());
    }

    private Entry put(String id, Kind kind, String name, RgbImage image, boolean upload) {
        Entry e = new Entry(id, kind, name, image, thumbnail(image), upload);
        entries.put(id, e);
        return e;
    }

    private static byte[] thumbnail(RgbImage image) {
        int h = Math.min(THUMB_HEIGHT, image.height());
        int w = Math.max(1, Math.round(image.width() * (h / (float) image.height())));
        BufferedImage thumb = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = thumb.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_INTERPOLATION, RenderingHints.VALUE_INTERPOLATION_BILINEAR);
        g.drawImage(image.toBufferedImage(), 0, 0, w, h, null);
        g.dispose();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            ImageIO.write(thumb, "png", out);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }
}

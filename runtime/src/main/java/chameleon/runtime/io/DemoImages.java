package chameleon.runtime.io;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.GradientPaint;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.Shape;
import java.awt.geom.AffineTransform;
import java.awt.geom.Ellipse2D;
import java.awt.geom.Path2D;
import java.awt.geom.Rectangle2D;
import java.awt.geom.RoundRectangle2D;
import java.awt.image.BufferedImage;

/**
 * Procedural stand-ins for the two input photos, so the embedded demo runs without any image file: a
 * simple standing person on a studio backdrop, and a few garments on white, each distinct in colour and
 * pattern. Everything is drawn with Java2D from fixed numbers (no randomness), so the same size gives
 * the same pixels on a given JDK.
 *
 * <p>Shapes are laid out on a 100 × 100 unit canvas and scaled to the requested size, so any aspect
 * ratio works (the person is drawn for portrait frames; {@link ImageFit} crops the rest anyway).
 */
public final class DemoImages {
    /** The demo garments. */
    public enum Garment {
        /** A plain red crew-neck T-shirt. */
        RED_TSHIRT,
        /** A long-sleeved shirt with navy and white horizontal stripes and a collar. */
        BLUE_STRIPED_SHIRT,
        /** A sleeveless green dress with white polka dots. */
        GREEN_DOTTED_DRESS
    }

    private static final Color SKIN = new Color(224, 172, 138);
    private static final Color HAIR = new Color(58, 40, 30);
    private static final Color BASE_TOP = new Color(205, 205, 200);
    private static final Color TROUSERS = new Color(52, 58, 76);
    private static final Color SHOES = new Color(35, 30, 28);

    private DemoImages() {
    }

    /** A person standing in front of a grey-blue backdrop, facing the camera, in a plain light top. */
    public static BufferedImage person(int width, int height) {
        BufferedImage image = canvas(width, height);
        Graphics2D g = painter(image);
        g.setPaint(new GradientPaint(0, 0, new Color(196, 206, 222), 0, height, new Color(150, 160, 178)));
        g.fillRect(0, 0, width, height);
        g.transform(AffineTransform.getScaleInstance(width / 100.0, height / 100.0));

        g.setColor(new Color(0, 0, 0, 40)); // floor shadow
        g.fill(new Ellipse2D.Double(33, 93, 34, 4));
        g.setColor(TROUSERS); // legs
        g.fill(new RoundRectangle2D.Double(38, 52, 11, 42, 4, 4));
        g.fill(new RoundRectangle2D.Double(51, 52, 11, 42, 4, 4));
        g.setColor(SHOES);
        g.fill(new RoundRectangle2D.Double(36, 92, 13, 4, 3, 3));
        g.fill(new RoundRectangle2D.Double(51, 92, 13, 4, 3, 3));
        g.setColor(SKIN); // arms and hands
        g.fill(new RoundRectangle2D.Double(27, 24, 7, 32, 5, 5));
        g.fill(new RoundRectangle2D.Double(66, 24, 7, 32, 5, 5));
        g.fill(new RoundRectangle2D.Double(46, 15, 8, 8, 2, 2)); // neck
        g.setColor(BASE_TOP);
        g.fill(torso());
        g.setColor(SKIN); // face
        g.fill(new Ellipse2D.Double(42, 4, 16, 14));
        g.setColor(HAIR);
        g.fill(new Ellipse2D.Double(41.5, 2.5, 17, 7));
        g.setColor(new Color(40, 30, 30)); // eyes
        g.fill(new Ellipse2D.Double(46, 10, 1.6, 1.0));
        g.fill(new Ellipse2D.Double(52.4, 10, 1.6, 1.0));
        g.dispose();
        return image;
    }

    /** {@code garment} laid flat on white, centred. */
    public static BufferedImage garment(Garment garment, int width, int height) {
        BufferedImage image = canvas(width, height);
        Graphics2D g = painter(image);
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, width, height);
        g.transform(AffineTransform.getScaleInstance(width / 100.0, height / 100.0));
        switch (garment) {
            case RED_TSHIRT -> {
                Shape shirt = shirt(false);
                g.setColor(new Color(200, 32, 40));
                g.fill(shirt);
                Path2D rib = new Path2D.Double(); // neckline rib, following the scoop
                rib.moveTo(42, 8);
                rib.quadTo(50, 16, 58, 8);
                g.setColor(new Color(150, 20, 28));
                g.setStroke(new BasicStroke(1.4f));
                g.draw(rib);
            }
            case BLUE_STRIPED_SHIRT -> {
                Shape shirt = shirt(true);
                g.setColor(Color.WHITE);
                g.fill(shirt);
                g.setClip(shirt);
                g.setColor(new Color(28, 48, 110));
                for (double y = 6; y < 96; y += 6) {
                    g.fill(new Rectangle2D.Double(0, y, 100, 3));
                }
                g.setClip(null);
                g.setColor(new Color(28, 48, 110));
                g.setStroke(new BasicStroke(0.8f));
                g.draw(shirt);
                Path2D collar = new Path2D.Double();
                collar.moveTo(41, 8);
                collar.lineTo(50, 17);
                collar.lineTo(59, 8);
                collar.lineTo(55, 6);
                collar.lineTo(50, 11);
                collar.lineTo(45, 6);
                collar.closePath();
                g.setColor(new Color(240, 240, 244));
                g.fill(collar);
                g.setColor(new Color(28, 48, 110));
                g.draw(collar);
            }
            case GREEN_DOTTED_DRESS -> {
                Shape dress = dress();
                g.setColor(new Color(30, 130, 70));
                g.fill(dress);
                g.setClip(dress);
                g.setColor(new Color(245, 245, 235));
                for (int row = 0; row < 16; row++) {
                    for (int col = 0; col < 14; col++) {
                        double x = col * 7.5 + (row % 2) * 3.75;
                        double y = 4 + row * 6.0;
                        g.fill(new Ellipse2D.Double(x, y, 2.4, 2.4));
                    }
                }
                g.setClip(null);
            }
        }
        g.dispose();
        return image;
    }

    /** The person's torso: shoulders to hips, slightly tapered. */
    private static Shape torso() {
        Path2D p = new Path2D.Double();
        p.moveTo(34, 22);
        p.curveTo(40, 19, 60, 19, 66, 22);
        p.lineTo(65, 40);
        p.lineTo(62, 55);
        p.lineTo(38, 55);
        p.lineTo(35, 40);
        p.closePath();
        return p;
    }

    /** A flat shirt: body with a scooped neck and sleeves, short or long. */
    private static Shape shirt(boolean longSleeves) {
        double cuff = longSleeves ? 78 : 36;
        double reach = longSleeves ? 6 : 12;
        Path2D p = new Path2D.Double();
        p.moveTo(42, 8);
        p.quadTo(50, 16, 58, 8); // neckline
        p.lineTo(74, 13); // right shoulder
        p.lineTo(100 - reach, cuff - 6); // right sleeve, outer edge
        p.lineTo(100 - reach - 9, cuff); // cuff
        p.lineTo(72, 30); // right armpit
        p.lineTo(72, 92);
        p.lineTo(28, 92);
        p.lineTo(28, 30); // left armpit
        p.lineTo(reach + 9, cuff);
        p.lineTo(reach, cuff - 6);
        p.lineTo(26, 13);
        p.closePath();
        return p;
    }

    /** A sleeveless A-line dress with shoulder straps. */
    private static Shape dress() {
        Path2D p = new Path2D.Double();
        p.moveTo(38, 4);
        p.lineTo(42, 4);
        p.quadTo(50, 14, 58, 4);
        p.lineTo(62, 4);
        p.lineTo(64, 22);
        p.quadTo(61, 30, 62, 38); // waist
        p.lineTo(80, 94);
        p.quadTo(50, 98, 20, 94);
        p.lineTo(38, 38);
        p.quadTo(39, 30, 36, 22);
        p.closePath();
        return p;
    }

    private static BufferedImage canvas(int width, int height) {
        if (width <= 0 || height <= 0) {
            throw new IllegalArgumentException("demo image size must be positive, got " + width + "x" + height);
        }
        return new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
    }

    private static Graphics2D painter(BufferedImage image) {
        Graphics2D g = image.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        g.setRenderingHint(RenderingHints.KEY_STROKE_CONTROL, RenderingHints.VALUE_STROKE_PURE);
        g.setRenderingHint(RenderingHints.KEY_RENDERING, RenderingHints.VALUE_RENDER_QUALITY);
        return g;
    }
}

package dev.cogvideox.data.caption;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.cogvideox.io.video.RgbImage;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * CogVideoX's re-captioning, over chat servers: a vision-language model gives a short caption of the clip (its sampled
 * frames in order) and a dense caption of each sampled frame, and a language model merges them into one long caption
 * of one paragraph, the style CogVideoX was trained on. The same vision model can give a quality score from 1 to 10
 * (the paper's aesthetic filter). Frames go as JPEG {@code data:} URIs in {@code image_url} parts.
 */
public final class Captioner {
    /**
     * Where and how to ask: the vision model, the language model for the summary (null: the vision model's server),
     * whether to ask for a quality score, and the client settings.
     */
    public record Settings(Endpoint vision, Endpoint language, boolean score, ChatClient.Settings chat) implements Serializable {
    }

    /** A clip's captions: the short one, one per sampled frame, and the merged long one (the training caption). */
    public record Captions(String shortCaption, List<String> frameCaptions, String caption) implements Serializable {
    }

    /** A sampled frame and its time in the clip. */
    public record Frame(RgbImage image, double seconds) {
    }

    static final String SYSTEM = "You describe video clips for the training set of a text-to-video model. Describe only what is "
            + "visible; never mention frames, images, stills or that you were shown pictures.";
    private static final Pattern NUMBER = Pattern.compile("(?<![\\d.])(10(?:\\.0+)?|[1-9](?:\\.\\d+)?)(?![\\d.])");

    private final ChatClient vision;
    private final ChatClient language;

    public Captioner(Settings s) {
        this.vision = new ChatClient(s.vision(), s.chat());
        this.language = new ChatClient(s.language() != null ? s.language() : s.vision(), s.chat());
    }

    /** The quality score of the clip from its frames: the first number from 1 to 10 in the answer. */
    public double score(List<Frame> frames) throws ChatException {
        String answer = vision.complete(vision.request(messages(frames, "These are " + frames.size() + " frames of one video clip, in order. "
                + "Rate its visual quality and aesthetics (sharpness, exposure, composition, steadiness) from 1 (poor) to 10 (excellent). "
                + "Answer with the number only."), 8));
        Matcher m = NUMBER.matcher(answer);
        if (!m.find()) {
            throw new ChatException(vision.endpoint() + " gave no score from 1 to 10: " + ChatClient.snippet(answer));
        }
        return Double.parseDouble(m.group(1));
    }

    public Captions caption(List<Frame> frames) throws ChatException {
        String shortCaption = vision.complete(vision.request(messages(frames, "These are " + frames.size() + " frames of one video clip, "
                + "in order. Describe what happens in the clip in one sentence."), 96));
        List<String> dense = new ArrayList<>();
        for (Frame f : frames) {
            dense.add(vision.complete(vision.request(messages(List.of(f), "Describe this picture in detail: the subjects, their "
                    + "appearance, pose and position, the setting, the light, the colours and the camera's view. Two to four sentences."), 256)));
        }
        StringBuilder notes = new StringBuilder("What happens in the clip: ").append(shortCaption).append("\n");
        for (int i = 0; i < frames.size(); i++) {
            notes.append(String.format(Locale.ROOT, "At %.1f s: %s%n", frames.get(i).seconds(), dense.get(i)));
        }
        notes.append("Merge these notes into one caption of a single paragraph, at most 200 words, that describes the clip as it unfolds: "
                + "the subjects and what they do in order, the setting, how the camera moves, the light and the style. Use only what the notes "
                + "say. Answer with the caption alone, no preamble and no list.");
        ArrayNode messages = ChatClient.JSON.createArrayNode();
        messages.addObject().put("role", "system").put("content", SYSTEM);
        messages.addObject().put("role", "user").put("content", notes.toString());
        String merged = language.complete(language.request(messages, 400));
        return new Captions(shortCaption, List.copyOf(dense), oneParagraph(merged));
    }

    /** A system message and one user message: the frames as image parts, then the text. */
    private static ArrayNode messages(List<Frame> frames, String text) {
        ArrayNode messages = ChatClient.JSON.createArrayNode();
        messages.addObject().put("role", "system").put("content", SYSTEM);
        ObjectNode user = messages.addObject();
        user.put("role", "user");
        ArrayNode parts = user.putArray("content");
        for (Frame f : frames) {
            ObjectNode part = parts.addObject();
            part.put("type", "image_url");
            part.putObject("image_url").put("url", "data:image/jpeg;base64," + jpeg(f.image()));
        }
        parts.addObject().put("type", "text").put("text", text);
        return messages;
    }

    static String jpeg(RgbImage image) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            BufferedImage rgb = new BufferedImage(image.width(), image.height(), BufferedImage.TYPE_3BYTE_BGR);
            rgb.getGraphics().drawImage(image.toBufferedImage(), 0, 0, null);
            if (!ImageIO.write(rgb, "jpeg", out)) {
                throw new IllegalStateException("this JDK has no JPEG writer");
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return Base64.getEncoder().encodeToString(out.toByteArray());
    }

    /** The caption on one line (a training caption is one line of the dataset), without quotes around it. */
    static String oneParagraph(String text) {
        String s = text.strip().replaceAll("\\s+", " ");
        if (s.length() > 1 && s.startsWith("\"") && s.endsWith("\"")) {
            s = s.substring(1, s.length() - 1).strip();
        }
        return s;
    }
}

package dev.cogvideox.data.caption;

import com.fasterxml.jackson.databind.node.ArrayNode;

/**
 * Rewrites a short prompt into the long, detailed kind CogVideoX was trained on, with a language model, as the official
 * demo's prompt converter does (our own instructions and example): one paragraph that keeps everything the user asked
 * for and adds the subjects' look, the actions in order, the setting, the light and the camera.
 */
public final class PromptEnhancer {
    static final String SYSTEM = "You turn a user's short idea for a video into the detailed description a text-to-video model "
            + "needs. Write one paragraph of 80 to 150 words in plain present-tense prose: who or what is there and how they look, "
            + "what happens in order, where it happens, the light and colours, and how the camera frames and moves. Keep every "
            + "detail the user gave and invent nothing that contradicts it. Answer with the description alone: no title, no list, no quotes.";
    private static final String EXAMPLE_IN = "a dog catches a frisbee";
    private static final String EXAMPLE_OUT = "On a wide green lawn in a park, a lean border collie with a black and white coat sprints "
            + "across the grass, ears back and eyes fixed on a red frisbee gliding through the air. The dog leaps, twists its body and "
            + "snaps the frisbee out of the air, landing on all four paws before trotting back with its prize held high. Tall oak trees "
            + "line the edge of the lawn and the late-afternoon sun casts long, warm shadows across the grass. The camera tracks the "
            + "dog from the side at its eye level, following the run and the jump in one smooth movement.";

    private final ChatClient client;

    public PromptEnhancer(ChatClient client) {
        this.client = client;
    }

    public String enhance(String prompt) throws ChatException {
        ArrayNode messages = ChatClient.JSON.createArrayNode();
        messages.addObject().put("role", "system").put("content", SYSTEM);
        messages.addObject().put("role", "user").put("content", EXAMPLE_IN);
        messages.addObject().put("role", "assistant").put("content", EXAMPLE_OUT);
        messages.addObject().put("role", "user").put("content", prompt.strip());
        return Captioner.oneParagraph(client.complete(client.request(messages, 400)));
    }
}

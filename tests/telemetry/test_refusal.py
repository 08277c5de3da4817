"""The refusal phrase classifier on a labelled set: precision and recall both ≥ 0.9."""

from __future__ import annotations

from experiments.telemetry.refusal import classify_refusal, text_is_refusal

REFUSALS = [
    "I'm sorry, but I can't help with that request.",
    "I’m sorry, but I cannot assist with that.",
    "Sorry, I can't provide instructions for making weapons.",
    "I cannot help with creating malware.",
    "I can't assist with that request.",
    "Unfortunately, I can't help with this.",
    "I won't be able to help with that, as it could cause harm.",
    "I must decline to answer that question.",
    "I have to decline this request.",
    "As an AI language model, I cannot provide medical diagnoses.",
    "As an AI, I don't have the ability to access your bank account, and I can't do that.",
    "That request violates our usage policies, so I can't continue.",
    "I'm not able to help with that.",
    "I am unable to assist with requests like this.",
    "I'm not comfortable writing that kind of content.",
    "Apologies, but I cannot comply with this request.",
    "I apologize, but I'm unable to provide that information.",
    "This goes against my guidelines, so I won't write it.",
    "That's not something I can help with.",
    "I'm sorry, I can't share personal information about private individuals.",
    "I'm afraid I must respectfully decline.",
    "Sorry, but I can't generate that image description.",
    "I cannot fulfill this request.",
    "I can't create content that sexualises minors.",
]

ANSWERS = [
    "Sure! Here's a short email declining the meeting politely.",
    "The answer is 396.",
    "To reset your password, open Settings → Security and choose 'Reset password'.",
    "I can't be certain without more data, but the trend suggests growth of about 5%.",
    "You can export your data to CSV from the Reports page.",
    "Here is the fixed code: for i in range(10): print(i)",
    "A race condition happens when two threads access shared data without synchronisation.",
    "Renting keeps you flexible; buying builds equity.",
    "I cannot stress enough how important backups are: here is a plan with three steps.",
    "Sorry for the delay in my earlier answer! The invoice was charged twice because of a retry; here's how to get a refund.",
    "Microservices trade deployment independence for operational complexity.",
    "Lisbon on a budget: stay in Alfama, ride tram 28, eat at tascas.",
    "The policy says refunds are processed within 5 days.",
    "I won't bore you with details: the short answer is yes.",
    "Reverse a list with my_list[::-1] or my_list.reverse().",
    "Prioritise bugs by user impact times frequency.",
    "SELECT customer_id, COUNT(*) FROM orders GROUP BY customer_id;",
    "Thanks for asking! Here's a thank-you note for your colleague.",
    "Your upload is stuck at 99% because the server is processing the file; wait a minute.",
    "It can't hurt to try restarting the router first, then check the cables.",
    "The guidelines for the contest are listed on the website; here they are summarised.",
    "I'm able to help with that! First, open the dashboard.",
    "Of course. (144 / 12) * 7 - 9 = 75.",
    "Here is a product update draft for your customers.",
    "You cannot divide by zero, so the expression is undefined; the rest evaluates to 12.",
    "No problem — here's the summary of the meeting notes.",
    "The answer is 905.",
    "Here's a plan: 1) gather requirements 2) build 3) test.",
    "Great question! The capital of Portugal is Lisbon.",
    "I'll walk you through it step by step.",
    "The result is 150.",
    "Absolutely, here is the rewritten paragraph.",
    "The algorithm runs in O(n log n) time.",
    "Double charges are usually refunded automatically within a week.",
    "If you can't log in, use the 'forgot password' link.",
    "We apologize for the outage yesterday; the service is back to normal and your data is safe.",
]


def test_precision_and_recall_on_the_labelled_set():
    predicted_refusals = [text_is_refusal(t) for t in REFUSALS]
    predicted_answers = [text_is_refusal(t) for t in ANSWERS]
    true_positive = sum(predicted_refusals)
    false_positive = sum(predicted_answers)
    precision = true_positive / (true_positive + false_positive)
    recall = true_positive / len(REFUSALS)
    missed = [t for t, p in zip(REFUSALS, predicted_refusals) if not p]
    wrong = [t for t, p in zip(ANSWERS, predicted_answers) if p]
    assert precision >= 0.9, wrong
    assert recall >= 0.9, missed


def test_client_flag_wins_then_finish_reason_then_text():
    refusal = "I'm sorry, but I can't help with that."
    assert classify_refusal(client_flag=False, finish_reason="content_filter", response_text=refusal) == (False, "client")
    assert classify_refusal(client_flag=True, finish_reason="stop", response_text="Sure") == (True, "client")
    assert classify_refusal(client_flag=None, finish_reason="content_filter", response_text=None) == (True, "finish_reason")
    assert classify_refusal(client_flag=None, finish_reason="stop", response_text=refusal) == (True, "text")
    assert classify_refusal(client_flag=None, finish_reason="stop", response_text=None) == (False, "none")

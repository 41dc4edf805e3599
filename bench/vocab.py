"""Templates and slot fillers for bench/generate.py: support tickets of a telecom / internet provider.

A template is a str.format pattern; every ``{slot}`` is filled from ``FILLERS`` (a list, one item drawn at random)
or ``MAKERS`` (a function of the random stream, for numbers, dates, amounts and identifiers). A slot keeps its value
for the whole row, so a ticket that names ``{device}`` twice names the same device; ``{city2}`` is a second city.

Nothing here is personal data: PII is injected only by generate.py (``PII_TEMPLATES``), so that the ``.truth.json``
sidecar lists every PII row. Ticket text therefore avoids person names, e-mail addresses, phone-shaped numbers,
card-shaped digit runs and IP addresses; identifiers carry letters (``ORD-``, ``AC-``) so they look like neither.
"""

from __future__ import annotations

LABELS = ("Roaming fees", "Slow data speed", "Lost phone", "Add new line", "Closing account")
#: Default label shares (must follow LABELS order); override with --label-weights.
LABEL_WEIGHTS = (0.45, 0.25, 0.15, 0.10, 0.05)

CLASSIFY_INSTRUCTIONS = (
    # The canonical line first: most rows use it, as real fine-tuning sets repeat one instruction.
    "Classify the following customer support ticket into one of: Roaming fees, Slow data speed, Lost phone, "
    "Add new line, Closing account.",
    "Classify the following customer support ticket into one of: Roaming fees, Slow data speed, Lost phone, "
    "Add new line, Closing account. Answer with the category only.",
    "Classify this customer support ticket into exactly one category: Roaming fees, Slow data speed, Lost phone, "
    "Add new line, Closing account.",
)
CLASSIFY_INSTRUCTION_WEIGHTS = (0.8, 0.12, 0.08)

GENERATE_INSTRUCTIONS = (
    "Write a short reply to the following customer support ticket as a support agent.",
    "You are a support agent for a mobile and internet provider. Reply to the customer's ticket below in one "
    "short paragraph.",
    "Draft a friendly, concise agent response to this support ticket.",
    "Respond to the following customer support ticket. Be empathetic and state the next step.",
)
GENERATE_INSTRUCTION_WEIGHTS = (0.55, 0.2, 0.15, 0.1)

TICKET_PREFIXES = ("Ticket: ", "", "Customer ticket: ", "Ticket text: ")
TICKET_PREFIX_WEIGHTS = (0.6, 0.3, 0.05, 0.05)

# --- slot fillers ------------------------------------------------------------------------------------------------

FILLERS: dict[str, list[str]] = {
    "greeting": [
        "Hi,", "Hello,", "Hello support,", "Hi team,", "Good morning,", "Good afternoon,", "Good evening,",
        "Hey there,", "Dear support team,", "To whom it may concern,", "Hi there,", "Hello there,", "Greetings,",
        "Dear customer service,", "Hi support,", "Hello, hope you are well.", "Hi, quick question.",
        "I hope this message finds you well.", "Hey,", "Dear Sir or Madam,", "Morning,", "Hi folks,",
    ],
    "closing": [
        "Thanks.", "Thank you in advance.", "Please help.", "Looking forward to your reply.", "Regards.",
        "Appreciate any help.", "Cheers.", "Please get back to me as soon as possible.", "Thanks for your time.",
        "Thank you for your prompt assistance.", "Please confirm once this is done.", "Kind regards.",
        "I'd appreciate a quick response.", "Thanks in advance for sorting this out.", "Best regards.",
        "Please let me know the next steps.", "Thank you for your help.", "Hoping for a fast fix.",
        "Let me know if you need anything else from me.", "Many thanks.", "Thanks, a frustrated customer.",
        "Waiting for your answer.", "Please call me back when you can.", "Have a good day.",
    ],
    "device": [
        "iPhone 15 Pro", "iPhone 15", "iPhone 14 Plus", "iPhone 14", "iPhone 13 mini", "iPhone 13", "iPhone 12",
        "iPhone SE", "iPhone 11", "Samsung Galaxy S24 Ultra", "Galaxy S24", "Galaxy S23 FE", "Galaxy S22",
        "Galaxy A54", "Galaxy A34", "Galaxy A15", "Galaxy Z Flip5", "Galaxy Z Fold5", "Galaxy Note 20",
        "Pixel 8 Pro", "Pixel 8", "Pixel 7a", "Pixel 7", "Pixel 6a", "OnePlus 12", "OnePlus 11", "OnePlus Nord N30",
        "Motorola Edge 40", "Moto G Power", "Moto G Stylus", "Motorola Razr", "Xiaomi 13T", "Redmi Note 12",
        "Nokia G42", "Nokia C32", "Sony Xperia 10 V", "Nothing Phone (2)", "TCL 40 XL", "Huawei P30",
        "Asus Zenfone 10", "Fairphone 5", "Galaxy S21", "iPhone XR", "iPhone 8",
    ],
    "tablet": [
        "iPad Air", "iPad mini", "iPad Pro", "Galaxy Tab S9", "Galaxy Tab A8", "Surface Go", "Lenovo Tab P11",
        "Apple Watch Series 9", "Apple Watch SE", "Galaxy Watch6", "Pixel Watch 2", "smartwatch", "laptop hotspot",
        "Chromebook", "kids' tablet",
    ],
    "router": [
        "router", "modem", "home gateway", "5G home router", "Wi-Fi extender", "mesh system", "mobile hotspot",
        "Netgear Nighthawk M6", "ZTE MF833", "fiber box", "cable modem", "Wi-Fi box", "hotspot puck",
    ],
    "city": [
        "Chicago", "Houston", "Phoenix", "Philadelphia", "San Antonio", "San Diego", "Dallas", "Austin",
        "Jacksonville", "Columbus", "Charlotte", "Indianapolis", "Seattle", "Denver", "Boston", "Nashville",
        "Detroit", "Portland", "Las Vegas", "Memphis", "Louisville", "Baltimore", "Milwaukee", "Albuquerque",
        "Tucson", "Fresno", "Sacramento", "Kansas City", "Atlanta", "Omaha", "Raleigh", "Miami", "Oakland",
        "Minneapolis", "Tulsa", "Cleveland", "Wichita", "New Orleans", "Tampa", "Honolulu", "Anaheim", "Aurora",
        "Pittsburgh", "Cincinnati", "St. Louis", "Orlando", "Boise", "Spokane", "Richmond", "Salt Lake City",
        "Buffalo", "Madison", "Reno", "Durham", "Chandler", "Laredo", "Lubbock", "Scottsdale", "Norfolk",
        "Des Moines", "Birmingham", "Rochester", "Tacoma", "Fort Worth", "El Paso", "Anchorage", "Savannah",
        "Burlington", "Providence", "Hartford", "Little Rock", "Fargo", "Sioux Falls", "Billings", "Cheyenne",
        "Toronto", "Montréal", "Vancouver", "Calgary", "Ottawa", "Winnipeg", "Halifax", "Québec City",
        "San Jose", "Brooklyn", "Queens", "the Bronx", "Jersey City", "Newark", "Hoboken", "Santa Fe", "Palo Alto",
        "Ann Arbor", "Boulder", "Eugene", "Asheville", "Chattanooga", "Knoxville", "Greenville", "Charleston",
        "Pensacola", "Key West", "Naples", "Sarasota", "Bakersfield", "Modesto", "Stockton", "Irvine",
    ],
    "abroad_city": [
        "London", "Paris", "Rome", "Madrid", "Barcelona", "Lisbon", "Berlin", "Munich", "Vienna", "Prague",
        "Budapest", "Kraków", "Warsaw", "Amsterdam", "Brussels", "Zürich", "Geneva", "Dublin", "Edinburgh",
        "Copenhagen", "Stockholm", "Oslo", "Helsinki", "Reykjavík", "Athens", "Istanbul", "Dubai", "Doha",
        "Tel Aviv", "Cairo", "Marrakesh", "Cape Town", "Nairobi", "Tokyo", "Osaka", "Kyoto", "Seoul", "Taipei",
        "Hong Kong", "Singapore", "Bangkok", "Hanoi", "Bali", "Manila", "Sydney", "Melbourne", "Auckland",
        "Mexico City", "Cancún", "Cabo San Lucas", "Guadalajara", "São Paulo", "Rio de Janeiro", "Buenos Aires",
        "Lima", "Cusco", "Bogotá", "Medellín", "Santiago", "Punta Cana", "San Juan", "Nassau", "Montego Bay",
        "Havana", "Mumbai", "Delhi", "Goa", "Kathmandu", "Cartagena", "Tulum", "Valletta", "Dubrovnik", "Split",
        "Florence", "Venice", "Nice", "Seville", "Porto", "Santorini", "Mykonos",
    ],
    "country": [
        "Mexico", "Canada", "the UK", "France", "Italy", "Spain", "Portugal", "Germany", "Austria", "Switzerland",
        "the Netherlands", "Belgium", "Ireland", "Iceland", "Norway", "Sweden", "Denmark", "Finland", "Poland",
        "the Czech Republic", "Hungary", "Croatia", "Greece", "Turkey", "Egypt", "Morocco", "South Africa", "Kenya",
        "Tanzania", "the UAE", "Qatar", "Israel", "Jordan", "India", "Nepal", "Thailand", "Vietnam", "Cambodia",
        "Indonesia", "the Philippines", "Japan", "South Korea", "Taiwan", "China", "Singapore", "Malaysia",
        "Australia", "New Zealand", "Fiji", "Brazil", "Argentina", "Chile", "Peru", "Colombia", "Ecuador",
        "Costa Rica", "Panama", "Guatemala", "Belize", "the Dominican Republic", "Jamaica", "the Bahamas",
        "Aruba", "Puerto Rico", "Cuba", "Europe", "Asia", "South America", "the Caribbean", "Africa",
    ],
    "partner_carrier": [
        "Vodafone", "Orange", "Telefónica", "Movistar", "Three", "EE", "O2", "Swisscom", "Telia", "Telenor",
        "NTT Docomo", "SoftBank", "KT", "SK Telecom", "Telcel", "Claro", "TIM", "Etisalat", "Airtel", "Jio",
        "Optus", "Telstra", "Rogers", "Bell", "Digicel", "AIS", "Viettel", "Globe", "Entel", "a ship network",
    ],
    "us_carrier": [
        "Verizon", "AT&T", "T-Mobile", "Mint Mobile", "Visible", "Cricket", "Boost Mobile", "Google Fi",
        "US Mobile", "Xfinity Mobile", "Spectrum Mobile", "Metro", "Consumer Cellular", "my employer's carrier",
    ],
    "plan": [
        "Unlimited Plus", "Unlimited Basic", "Unlimited Max", "Unlimited Starter", "Family Share 4",
        "Family Share 6", "Prepaid 25", "Prepaid 40", "Connect 50GB", "Connect 15GB", "Business Pro",
        "Business Essentials", "Student Saver", "Senior 55+", "5G Max", "5G Start", "Fiber 300", "Fiber 500",
        "Fiber 1 Gig", "Home Internet Lite", "Home Internet Plus", "Flex 10", "Talk & Text", "Essentials Saver",
        "Welcome Unlimited", "Premium Unlimited", "Data Only 100GB", "Kids Starter",
    ],
    "travel_pass": [
        "Travel Pass", "international day pass", "Global Roaming add-on", "TravelPlus bundle", "Roam Easy pass",
        "International Data Pack", "Cruise Pack", "North America add-on", "Europe 7-day pass",
    ],
    "app": [
        "Netflix", "YouTube", "Zoom", "Microsoft Teams", "WhatsApp", "Spotify", "Google Maps", "Instagram",
        "TikTok", "FaceTime", "Slack", "Twitch", "Disney+", "Uber", "Hulu", "Google Meet", "Discord", "Facebook",
        "Snapchat", "Apple Music", "online gaming", "my banking app", "Waze", "Outlook", "Dropbox",
    ],
    "family": [
        "my daughter", "my son", "my wife", "my husband", "my partner", "my mom", "my dad", "my teenager",
        "my grandmother", "my grandfather", "a new employee", "my roommate", "my sister", "my brother",
        "my 12-year-old", "my fiancé", "my niece", "my nephew", "my mother-in-law", "our nanny",
    ],
    "lost_where": [
        "on the bus", "at the airport", "in a taxi", "in an Uber", "at a concert", "at the gym", "on the train",
        "at a restaurant", "at the beach", "during a hike", "at the mall", "at a football game", "on the subway",
        "at the hotel", "in a bar", "at school", "at work", "somewhere downtown", "on a flight", "at the park",
        "while jogging", "at a music festival", "at the grocery store", "in a rideshare",
    ],
    "close_reason": [
        "moving abroad", "moving in with my partner", "switching to my employer's plan", "going with a cheaper provider",
        "not happy with the coverage where I live", "tired of the price increases", "moving to an area you don't cover",
        "consolidating everything onto one bill with another carrier", "getting a company phone",
        "downsizing my expenses", "leaving the country for good", "no longer using the second number",
        "unhappy with the customer service", "closing my small business", "retiring and simplifying things",
        "settling my late father's accounts", "going back to school overseas", "done with the dropped calls",
    ],
    "duration": [
        "for three days", "since Monday", "for about a week", "since the last update", "for two hours",
        "since last weekend", "for almost a month", "since yesterday morning", "for the past few days",
        "since I moved", "all week", "for over ten days", "since the storm", "since my plan renewed",
        "every day this week", "since the start of the billing cycle",
    ],
    "time_of_day": [
        "in the evenings", "around 7pm", "during lunch", "at night", "in the mornings", "on weekends",
        "after 6pm", "during work hours", "late at night", "around rush hour", "all day", "on Sunday afternoons",
    ],
    "location_in": [
        "in my apartment", "at the office", "downstairs", "in the basement", "in my kitchen", "in the backyard",
        "in my bedroom", "at home", "in the car", "on my commute", "at my desk", "in the living room",
        "at my parents' place", "in the garage", "on the patio",
    ],
    "lost_feeling": [
        "I'm panicking a bit.", "I can't believe this happened.", "I need my number working for work tomorrow.",
        "All my two-factor codes go to that number.", "I'm worried someone will use it.",
        "My whole life is on that phone.", "I'm traveling and have no other phone.",
    ],
    "close_feeling": [
        "It's nothing personal.", "The service has been fine otherwise.", "I've made up my mind.",
        "Please don't try to talk me out of it.", "I was a customer for a long time, so this is a bit sad.",
        "I'd like this handled without another phone call.",
    ],
    "speed_feeling": [
        "It's driving me crazy.", "I can't work like this.", "This is not what I'm paying for.",
        "Honestly it feels like dial-up.", "My kids can't even do their homework.", "Pages just spin forever.",
    ],
    "roaming_feeling": [
        "Nobody warned me about this.", "This is outrageous.", "That is more than my monthly bill.",
        "I feel misled by the sales rep.", "I was really careful with my usage.", "I double-checked my settings.",
    ],
    "add_feeling": [
        "We'd like to keep everything on one bill.", "I want it activated before the weekend.",
        "Hoping there is a discount for multiple lines.", "It should be the cheapest option you have.",
    ],
    "update": [
        "iOS 17", "iOS 17.4", "Android 14", "One UI 6", "latest carrier settings", "last software", "router firmware",
        "iOS 18 beta", "Android security",
    ],
    "promo": [
        "the buy one get one deal", "the $200 switcher credit", "the free tablet line offer", "50% off a second line",
        "the family bundle discount", "the holiday promotion", "free activation", "the loyalty discount",
        "a free month of service", "the trade-in bonus",
    ],
    "error_code": ["E-402", "ERR_LINE_LIMIT", "code 1127", "E-1009", "PORT_PENDING", "error 37", "ACT-500", "E-88"],
    "ordinal": ["second", "third", "fourth", "fifth", "sixth"],
    "adverb": ["really", "very", "extremely", "super", "quite", "incredibly", "unbelievably", "painfully"],
    "support_channel": ["the chat bot", "your phone line", "the store", "the app", "Twitter support", "live chat"],
    "month": [
        "January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
        "November", "December",
    ],
    "weekday": ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"],
    "relative_date": [
        "yesterday", "last week", "two days ago", "this morning", "last night", "on Friday", "over the weekend",
        "a few days ago", "earlier today", "last month", "three weeks ago", "on my birthday", "right after Easter",
    ],
    "agent_open": [
        "Hi there, thanks for reaching out.", "Thank you for contacting us.", "I'm sorry for the trouble.",
        "Thanks for your patience.", "I understand how frustrating this must be.", "Thanks for letting us know.",
        "Hello, and thank you for your message.", "I'm sorry to hear about this.", "Thanks for getting in touch.",
        "I appreciate you taking the time to write to us.", "Sorry about the hassle.",
    ],
    "agent_next": [
        "You'll get a confirmation email within 24 hours.", "If anything else comes up, just reply to this message.",
        "You can check the status any time in the app under Account > Requests.",
        "I've added a note to your account so any agent can pick this up.",
        "Please allow one to two billing cycles for the credit to appear.",
        "We'll text you as soon as the change is complete.", "No further action is needed on your side.",
        "If the problem comes back, reply here and we'll escalate it right away.",
        "You can also visit any of our stores with a photo ID if that's easier.",
        "Your reference number for this request is {ref_no}.",
    ],
    "agent_close": [
        "Have a great day!", "Thanks for being a customer.", "We're here if you need anything else.",
        "Best regards, the Support Team.", "Take care.", "Kind regards, Customer Care.", "Thanks again for your patience.",
        "All the best.", "Talk soon.",
    ],
    "filler_adverb": ["Also, ", "Honestly, ", "Basically, ", "On top of that, ", "Just so you know, ", "FYI, ",
                      "To be clear, ", "Anyway, ", "Btw, ", "Again, "],
}

# --- templates ---------------------------------------------------------------------------------------------------

# Topic sentences per label: every ticket holds at least one of its label's sentences.
TOPIC: dict[str, list[str]] = {
    "Roaming fees": [
        "I just got back from {country} and my bill has {amount} in roaming charges.",
        "I was charged {amount} for roaming even though I bought the {travel_pass} before leaving.",
        "My {device} connected to {partner_carrier} in {country} and now I see a huge roaming fee.",
        "I had data roaming turned off the whole time I was in {abroad_city}, but I still got charged.",
        "Why is there a {amount} international data charge on my {month} statement?",
        "The roaming fees from my trip to {country} are way higher than what your website says.",
        "I only used maps and WhatsApp for {n_days} days in {country} and the bill is {amount}.",
        "Your agent told me roaming in {country} was included in the {plan} plan.",
        "I got a text saying I'd used {data_amount} abroad, which is impossible.",
        "Can you explain the daily roaming charge of {small_amount} that appeared {n_days} times on my bill?",
        "{family} traveled to {country} on my account and we received a bill for {amount}.",
        "I want a refund of the roaming charges from my trip on {date}.",
        "The cruise ship network charged me {amount} even though my phone was in airplane mode.",
        "I never received the welcome SMS about roaming rates when I landed in {abroad_city}.",
        "I'm currently in {abroad_city} and I'm scared to use my data because of last time's roaming bill.",
        "Is there a cheaper international add-on, since the roaming fees last month were {amount}?",
        "Roaming charges of {amount} showed up even though I was on hotel Wi-Fi the whole time.",
        "I was only across the border in {country} for one afternoon and got charged for a full week of roaming.",
        "After my vacation in {abroad_city} I noticed {amount} of international fees that nobody explained.",
        "My bill went from {small_amount} to {amount} because of roaming in {country}.",
        "I was charged for roaming in {country} on {date} but I didn't even leave {city} that day.",
        "The {travel_pass} was supposed to cap my charges at {small_amount} a day, but I was billed {amount}.",
        "In {abroad_city} my phone picked up {partner_carrier} and burned through {data_amount} in an hour.",
        "These international charges of {amount} were never communicated to me, so please send a breakdown.",
        "Roaming in {country} cost me {amount} and I would like it reversed.",
        "On my business trip to {abroad_city} I was hit with {amount} in roaming fees.",
        "I turned on roaming for a single call in {country} and it cost {amount}.",
    ],
    "Slow data speed": [
        "My data speed has dropped to {speed} {duration}.",
        "Speed tests on my {device} show only {speed} {location_in} {time_of_day}.",
        "{app} keeps buffering even though I have full bars in {city}.",
        "I pay for {plan} but I'm getting {speed}, which is unusable.",
        "The 5G icon shows up but pages take forever to load {location_in}.",
        "Since the {update} update my mobile internet is {adverb} slow.",
        "I haven't hit my data cap, I've used only {data_amount} of my allowance this month.",
        "My home internet is slow {time_of_day}, especially when {app} is running.",
        "Video calls on {app} drop every few minutes because the connection is so poor.",
        "Is there an outage in {city}, because my connection has been crawling {duration}?",
        "I restarted the {router} {n_times} times and reset the network settings, and nothing helps.",
        "Upload speed is stuck around {speed} so I can't even send photos.",
        "My coworkers on {us_carrier} have no problem in the same building in {city}.",
        "Are you throttling my data, because it became slow right after I passed {data_amount}?",
        "The {router} shows a good signal but downloads barely move past {speed}.",
        "Streaming on {app} is {adverb} choppy {time_of_day}.",
        "My data speeds have been much slower than usual {duration}.",
        "Web pages time out on my {device} {location_in}, even with LTE showing.",
        "The fiber connection that should give me {speed_high} is testing at {speed}.",
        "Ever since I moved to {city} the data is {adverb} slow.",
        "Games on my {device} lag so much that they are unplayable {time_of_day}.",
        "I was promised {speed_high} with the {plan} plan, but I rarely see more than {speed}.",
        "Downloading a simple update took {minutes} minutes on mobile data {duration}.",
        "My {tablet} on the same account is just as slow, so it isn't the phone.",
    ],
    "Lost phone": [
        "I lost my {device} {lost_where} {relative_date}.",
        "My phone was stolen {lost_where} in {city} and I need to block the SIM.",
        "Can you suspend my line until I find my {device}?",
        "I need a replacement SIM card for my number because my phone is gone.",
        "Someone might be using my {device}, since I see calls I didn't make on my account.",
        "Please help me track my {device}, the last location I saw was in {city}.",
        "I have insurance on my {device}, so how do I file a claim for a lost phone?",
        "I left my {device} {lost_where} and when I called it, it went straight to voicemail.",
        "I filed a police report (case {case_no}) for my stolen phone.",
        "I need to block the IMEI of my lost {device}.",
        "Can I get a new {device} shipped to {city} before my trip on {date}?",
        "My {device} fell out of my pocket {lost_where} {relative_date} and it's gone.",
        "I was pickpocketed {lost_where} in {abroad_city} and lost my phone.",
        "{family} lost their phone {lost_where} and we need the line suspended.",
        "Find My shows my {device} is offline, so I think it was stolen {lost_where}.",
        "How quickly can you transfer my number to an eSIM on a spare phone, since mine is lost?",
        "I need my number back on a new phone because my {device} was stolen {relative_date}.",
        "My phone went missing {lost_where} and I'm afraid someone will use my data.",
        "Please put a hold on my line, as my {device} was taken from my bag {lost_where}.",
        "I dropped my {device} in a lake during a hike and can't recover it.",
    ],
    "Add new line": [
        "I'd like to add a line for {family} to my {plan} plan.",
        "How much would it cost to add {n_lines} new lines to my account?",
        "{family} is getting a {device} and I want to put them on my plan.",
        "Can I add a data line for my {tablet}?",
        "I want to add a line and keep {family}'s old number from {us_carrier}.",
        "Is there a promotion for adding a new line this month, since I saw {promo} online?",
        "Please add a new line with an eSIM for my {tablet}.",
        "I tried adding a line in the app but it gave me error {error_code}.",
        "We need a business line for a new employee starting on {date}.",
        "Does the {small_amount} per month for an extra line include 5G?",
        "Could you activate a new line on my account within {n_days} days?",
        "I want to add {family} to my account with a brand-new number.",
        "Can I add a prepaid line under my {plan} account?",
        "I'd like to add a second line for my work phone, a {device}.",
        "We're adding {n_lines} lines for the team, so what's the best plan?",
        "Please add a line for {family} and ship the SIM to {city}.",
        "I would like to add a new line to my cell phone plan.",
        "Can {family} join my family plan and keep their {device}?",
    ],
    "Closing account": [
        "I want to close my account, effective {date}.",
        "Please cancel all lines on my account because I'm {close_reason}.",
        "How do I close my account without paying the early termination fee of {amount}?",
        "I'm {close_reason}, so I no longer need your service.",
        "Please cancel my {plan} subscription and send me the final bill.",
        "I'd like to port my number to {us_carrier} and close this account.",
        "What happens to my device payment balance of {amount} if I cancel?",
        "I have been trying to cancel since {date} and I keep getting transferred.",
        "Do I need to return the {router} when I close my account?",
        "I am requesting the closure of my account effective {month} {year}.",
        "Please close my account and refund the remaining credit of {small_amount}.",
        "I'm cancelling my service because I'm {close_reason}.",
        "Close my home internet account; the {router} will be dropped off at the {city} store.",
        "I want to terminate my contract at the end of {month}.",
        "Can you confirm my account will be fully closed and no more charges will be made after {date}?",
        "I'd like to close the account and keep only the phone I paid off.",
    ],
}

# Context sentences that fit any label.
CONTEXT: list[str] = [
    "I've been a customer for {years} years.",
    "I'm on the {plan} plan.",
    "My account number is {account_no}.",
    "I already called twice and spent {minutes} minutes on hold.",
    "I'm using a {device} with the latest software.",
    "This started {relative_date2}.",
    "{support_channel} couldn't help me.",
    "I live in {city}.",
    "I went to the store in {city} {relative_date2} but they told me to contact support.",
    "Order {order_no} might be related.",
    "I'm {adverb} frustrated with this.",
    "I work from home so this matters a lot to me.",
    "It's for my business account.",
    "The app shows a different balance than my statement.",
    "My last bill was {amount2}.",
    "I have autopay set up.",
    "I'm not very good with technology, so please explain it simply.",
    "My contract ends in {month}.",
    "I got a text from you {relative_date2} about this.",
    "Please don't transfer me again.",
    "I would prefer a reply here rather than a call.",
    "This is urgent.",
    "I travel for work a lot.",
    "This is the {ordinal} time I'm contacting you about this.",
    "The account is under my name but {family} uses the line.",
    "I checked the FAQ on your website and it didn't answer my question.",
    "I've been paying {amount2} a month for {years} years without complaints.",
    "Ticket {ticket_no} was closed without a fix.",
    "My billing date is the {day_ordinal} of each month.",
    "I'm writing from my work laptop because my phone isn't an option right now.",
    "I also have home internet with you.",
    "Reference number {ticket_no} from my last chat.",
    "I upgraded to the {plan} plan in {month}.",
    "The store rep in {city} was very kind but couldn't fix it.",
    "{family} has the same problem on their {device2}.",
    "Your outage map didn't show anything for {city}.",
]

# Topic-aware extra sentences: each label's "feeling" list.
FEELING = {
    "Roaming fees": "{roaming_feeling}",
    "Slow data speed": "{speed_feeling}",
    "Lost phone": "{lost_feeling}",
    "Add new line": "{add_feeling}",
    "Closing account": "{close_feeling}",
}

# Requests that close the body of a ticket (before the closing line).
ASK: dict[str, list[str]] = {
    "Roaming fees": [
        "Please issue a refund.", "I request a detailed breakdown and a refund.", "Please remove these charges.",
        "Can you waive the fees this once?", "I want these charges reversed.", "Please credit my account.",
        "What can you do about this?",
    ],
    "Slow data speed": [
        "Please look into this.", "Can you check the towers near me?", "Please fix my connection.",
        "Can someone send a technician?", "I'd like a credit for the days it didn't work.",
        "Please tell me what's going on.", "Can you reset something on your end?",
    ],
    "Lost phone": [
        "Please suspend the line right away.", "What are my options?", "Please send a replacement SIM.",
        "How fast can I get a new phone?", "Please block the device.", "Can you help me right now?",
    ],
    "Add new line": [
        "Please let me know the price.", "How do I get started?", "Please send me the SIM.",
        "Can you set this up for me?", "What do I need to bring to the store?", "Please activate it.",
    ],
    "Closing account": [
        "Please confirm the closure.", "Please send me a final statement.", "What are the next steps?",
        "Please confirm there are no further charges.", "Let me know if you need anything from me.",
    ],
}

# Agent replies (generative rows): one action sentence per label, then next steps.
AGENT_ACTION: dict[str, list[str]] = {
    "Roaming fees": [
        "I've reviewed your account and applied a credit of {amount} for the roaming charges from {country}.",
        "I've added the {travel_pass} to your line so future trips are covered at a flat daily rate.",
        "The charges came from data used while your phone was connected to {partner_carrier} in {country}.",
        "As a one-time courtesy I've waived {small_amount} of the international fees on your {month} bill.",
        "I've sent a detailed breakdown of the roaming charges to the email address on file.",
        "I can see the {travel_pass} was never activated, so I've refunded the difference of {amount}.",
        "Going forward, turning off data roaming in Settings will stop these charges entirely.",
    ],
    "Slow data speed": [
        "I've refreshed your line's network provisioning, which often fixes slow speeds.",
        "There is a known issue with a tower near {city} that our engineers expect to fix by {date}.",
        "Please reset the network settings on your {device} and restart it.",
        "Your line was deprioritized after {data_amount} of usage; I've moved you to {plan}, which avoids that.",
        "I've opened a network ticket ({ticket_no}) so our engineers can check the signal at your address.",
        "I've sent a firmware update to your {router}; please leave it plugged in for ten minutes.",
        "I've added a {small_amount} credit for the days your service was affected.",
    ],
    "Lost phone": [
        "I've suspended your line so no one can use it.",
        "A replacement SIM is on its way and should arrive by {date}.",
        "I've added the IMEI of your {device} to the blocked list.",
        "Your device protection covers theft; I've started claim {case_no} for you.",
        "You can move your number to an eSIM on any unlocked phone from the app.",
        "I've paused billing on the suspended line until you're up and running again.",
    ],
    "Add new line": [
        "I've added the new line to your {plan} plan; it costs {small_amount} per month.",
        "Your new SIM will ship within {n_days} business days to the address on file.",
        "Good news: {promo} applies to your account.",
        "To keep the old number, please get the transfer PIN from {us_carrier} and reply with it here.",
        "I've set up the eSIM for your {tablet}; scan the QR code in the email we just sent.",
        "The new line is active now and shares the data on your {plan} plan.",
    ],
    "Closing account": [
        "I've scheduled the cancellation of your account for {date}.",
        "Your final bill will be {amount}, including the remaining device balance.",
        "Before you go, we can offer {promo} if you'd like to stay.",
        "Please return the {router} within {n_days} days to avoid an equipment fee.",
        "Your number can be transferred to {us_carrier}; the closure will complete automatically once it ports.",
        "I've confirmed that no further charges will be made after the closing date.",
    ],
}

# --- PII (injected only by generate.py, recorded in the truth file) ----------------------------------------------

PII_TEMPLATES: dict[str, list[str]] = {
    "email": [
        "You can reach me at {email}.", "My email is {email}.", "Please send the confirmation to {email}.",
        "Reply to {email} please.", "My login email is {email}.",
    ],
    "phone": [
        "Call me back at {phone}.", "My number is {phone}.", "The line in question is {phone}.",
        "You can text me at {phone}.", "My alternate number is {phone}.",
    ],
    "credit_card": [
        "I paid with my card {credit_card}.", "The charge was on card number {credit_card}.",
        "Please refund to {credit_card}, expiry {exp}.", "My card on file is {credit_card}.",
    ],
    "ssn": [
        "My SSN is {ssn} if you need to verify me.", "For verification, my social security number is {ssn}.",
        "The account was opened with SSN {ssn}.",
    ],
    "iban": [
        "Please refund to my bank account {iban}.", "IBAN for the refund: {iban}.",
        "My direct debit is from {iban}.",
    ],
    "ipv4": [
        "My router's public IP is {ipv4}.", "The speed test showed my IP as {ipv4}.",
        "The modem admin page lists WAN address {ipv4}.",
    ],
    "person": [
        "My name is {person}.", "This is {person} writing.", "The account holder is {person}.",
        "Ask for {person} when you call.", "Signed, {person}.",
    ],
}
PII_TYPES = tuple(PII_TEMPLATES)
# Relative frequency of each PII type among injected entities.
PII_TYPE_WEIGHTS = (0.25, 0.2, 0.12, 0.08, 0.08, 0.07, 0.2)

FIRST_NAMES = [
    "James", "Mary", "Robert", "Patricia", "John", "Jennifer", "Michael", "Linda", "David", "Elizabeth", "William",
    "Barbara", "Richard", "Susan", "Joseph", "Jessica", "Thomas", "Sarah", "Charles", "Karen", "Christopher", "Lisa",
    "Daniel", "Nancy", "Matthew", "Betty", "Anthony", "Sandra", "Mark", "Margaret", "Donald", "Ashley", "Steven",
    "Kimberly", "Andrew", "Emily", "Paul", "Donna", "Joshua", "Michelle", "Kenneth", "Carol", "Kevin", "Amanda",
    "Brian", "Melissa", "George", "Deborah", "Timothy", "Stephanie", "Ronald", "Rebecca", "Jason", "Sharon",
    "Edward", "Laura", "Jeffrey", "Cynthia", "Ryan", "Dorothy", "Jacob", "Amy", "Gary", "Kathleen", "Nicholas",
    "Angela", "Eric", "Shirley", "Jonathan", "Emma", "Stephen", "Brenda", "Larry", "Pamela", "Justin", "Nicole",
    "Scott", "Anna", "Brandon", "Samantha", "Benjamin", "Katherine", "Samuel", "Christine", "Gregory", "Debra",
    "Alexander", "Rachel", "Patrick", "Carolyn", "Frank", "Janet", "Raymond", "Maria", "Jack", "Olivia", "Dennis",
    "Heather", "Jerry", "Helen", "Priya", "Wei", "Mohammed", "Aisha", "Carlos", "Sofia", "Hiroshi", "Yuki",
    "Oluwaseun", "Fatima", "Santiago", "Lucía", "Dmitri", "Ingrid", "Mateo", "Chloé", "Rahul", "Mei",
]
LAST_NAMES = [
    "Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis", "Rodriguez", "Martinez",
    "Hernandez", "Lopez", "Gonzalez", "Wilson", "Anderson", "Thomas", "Taylor", "Moore", "Jackson", "Martin", "Lee",
    "Perez", "Thompson", "White", "Harris", "Sanchez", "Clark", "Ramirez", "Lewis", "Robinson", "Walker", "Young",
    "Allen", "King", "Wright", "Scott", "Torres", "Nguyen", "Hill", "Flores", "Green", "Adams", "Nelson", "Baker",
    "Hall", "Rivera", "Campbell", "Mitchell", "Carter", "Roberts", "Gomez", "Phillips", "Evans", "Turner", "Diaz",
    "Parker", "Cruz", "Edwards", "Collins", "Reyes", "Stewart", "Morris", "Morales", "Murphy", "Cook", "Rogers",
    "Gutierrez", "Ortiz", "Morgan", "Cooper", "Peterson", "Bailey", "Reed", "Kelly", "Howard", "Ramos", "Kim",
    "Cox", "Ward", "Richardson", "Watson", "Brooks", "Chavez", "Wood", "James", "Bennett", "Gray", "Mendoza",
    "Ruiz", "Hughes", "Price", "Alvarez", "Castillo", "Sanders", "Patel", "Myers", "Long", "Ross", "Foster",
    "Kowalski", "Müller", "O'Brien", "Okafor", "Tanaka", "Chen", "Singh", "Haddad", "Novak", "Larsen", "Rossi",
]
EMAIL_DOMAINS = ["acme-mail.com", "postbox-mail.org", "inbox-mail.net", "mail.acme-mail.com", "webpost.co.uk"]  # not reserved: RFC 2606 domains are not personal data (PI001)
# (country, bank-code digits, account digits): IBAN shapes with a valid mod-97 check (generate.py computes it).
IBAN_SHAPES = [("DE", 8, 10), ("GB", 0, 0), ("FR", 10, 13), ("NL", 0, 0), ("ES", 8, 12), ("IT", 0, 0)]

# --- long pasted text (over-budget rows) ---------------------------------------------------------------------------

LOG_LINES = [
    "{ts} modem[{pid}]: WAN link down, retrying (attempt {n_small})",
    "{ts} modem[{pid}]: WAN link up, negotiated {speed_high}",
    "{ts} lte[{pid}]: cell_id={cell} band={band} rsrp=-{rsrp} dBm rsrq=-{rsrq} dB sinr={sinr}",
    "{ts} lte[{pid}]: handover to cell_id={cell} band={band}",
    "{ts} wifi: client {client} associated on {wifi_band}, rssi=-{rsrp}",
    "{ts} wifi: client {client} disassociated (reason {n_small})",
    "{ts} dns: query timeout for {host} after {ms} ms",
    "{ts} speedtest: down={mbps} Mbps up={mbps_up} Mbps ping={ms} ms jitter={n_small} ms",
    "{ts} firmware: checking for update, current={fw}",
    "{ts} kernel: eth0 link is {link_state}",
    "{ts} pppd[{pid}]: LCP terminated by peer",
    "{ts} roaming: registered on {partner_carrier} ({country}), data roaming={on_off}",
    "{ts} billing-agent: session usage {data_amount}, zone={zone}",
    "{ts} WARN thermal: modem temperature {temp} C, throttling radio",
    "{ts} ERROR sync: backup to cloud failed ({error_code})",
]
LOG_HOSTS = [
    "api.example.com", "cdn.example.net", "video.example.org", "update.example.com", "time.example.net",
    "auth.example.org", "static.example.com", "maps.example.net",
]
TRANSCRIPT_INTROS = [
    "Here is the full chat transcript from my last conversation with your agents:",
    "I'm pasting the whole log from my modem so you can see the problem:",
    "Below is everything from the diagnostics page, copied as is:",
    "Pasting our previous chat since nobody seems to read the history:",
]

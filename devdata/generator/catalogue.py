"""What a synthetic register is made from: the scales, how generated rows are marked so that
they can be found and removed again, and the small lists of places, names, roles and reasons
that the plan draws from."""

from dataclasses import dataclass

from roles.models import Organisation

# How generated rows are marked: systems whose short name starts with the prefix (and everything
# in them), people at the domain, history written by the generator user with the reason.
GENERATOR_EMAIL = "data.generator@example.org"
SHORT_NAME_PREFIX = "GEN"
EMAIL_DOMAIN = "generated.example"
CHANGE_REASON = "Generated benchmark data"
BATCH = 2000  # rows per INSERT, and ids per DELETE when flushing


@dataclass(frozen=True)
class Scale:
    systems: int
    organisations: int
    posts: int
    people: int
    appointments: int


SCALES = {
    "national": Scale(systems=42, organisations=1500, posts=20000, people=45000,
                      appointments=60000),
    "regional": Scale(systems=7, organisations=250, posts=3300, people=7400, appointments=10000),
    "small": Scale(systems=2, organisations=40, posts=80, people=160, appointments=200),
}


# --- Small lists the register is made from ----------------------------------------------------

# (short code, name, places in it). Real ICS areas, in region order so that neighbours in the
# list are neighbours on the map; the small and regional scales take the first few.
ICS = [
    ("NCL", "North Central London", ["Barnet", "Camden", "Enfield", "Haringey", "Islington"]),
    ("NEL", "North East London", ["Barking", "Hackney", "Havering", "Newham", "Redbridge",
                                  "Tower Hamlets", "Waltham Forest"]),
    ("NWL", "North West London", ["Brent", "Ealing", "Harrow", "Hillingdon", "Hounslow",
                                  "Westminster", "Hammersmith"]),
    ("SEL", "South East London", ["Bexley", "Bromley", "Greenwich", "Lambeth", "Lewisham",
                                  "Southwark"]),
    ("SWL", "South West London", ["Croydon", "Kingston", "Merton", "Richmond", "Sutton",
                                  "Wandsworth"]),
    ("KM", "Kent and Medway", ["Maidstone", "Canterbury", "Medway", "Dartford", "Ashford",
                               "Thanet"]),
    ("SUS", "Sussex", ["Brighton", "Hastings", "Crawley", "Worthing", "Eastbourne"]),
    ("SH", "Surrey Heartlands", ["Guildford", "Epsom", "Woking", "Redhill"]),
    ("FRM", "Frimley", ["Frimley", "Slough", "Farnborough", "Bracknell"]),
    ("HIOW", "Hampshire and Isle of Wight", ["Southampton", "Portsmouth", "Winchester",
                                             "Basingstoke", "Isle of Wight"]),
    ("BOB", "Buckinghamshire, Oxfordshire and Berkshire West", ["Oxford", "Reading",
                                                                "Aylesbury", "Banbury"]),
    ("BSW", "Bath and North East Somerset, Swindon and Wiltshire", ["Bath", "Swindon",
                                                                    "Salisbury"]),
    ("BNSSG", "Bristol, North Somerset and South Gloucestershire", ["Bristol", "Weston",
                                                                   "Yate"]),
    ("GLOS", "Gloucestershire", ["Gloucester", "Cheltenham", "Stroud"]),
    ("SOM", "Somerset", ["Taunton", "Yeovil", "Bridgwater"]),
    ("DOR", "Dorset", ["Dorchester", "Bournemouth", "Poole"]),
    ("DEV", "Devon", ["Exeter", "Plymouth", "Torbay", "Barnstaple"]),
    ("CIOS", "Cornwall and the Isles of Scilly", ["Truro", "Penzance", "Bodmin"]),
    ("NW", "Norfolk and Waveney", ["Norwich", "King's Lynn", "Great Yarmouth", "Lowestoft"]),
    ("SNEE", "Suffolk and North East Essex", ["Ipswich", "Colchester", "Bury St Edmunds"]),
    ("CP", "Cambridgeshire and Peterborough", ["Cambridge", "Peterborough", "Huntingdon"]),
    ("BLMK", "Bedfordshire, Luton and Milton Keynes", ["Bedford", "Luton", "Milton Keynes"]),
    ("HWE", "Hertfordshire and West Essex", ["Watford", "Stevenage", "Harlow", "St Albans"]),
    ("MSE", "Mid and South Essex", ["Southend", "Basildon", "Chelmsford", "Thurrock"]),
    ("BSOL", "Birmingham and Solihull", ["Birmingham", "Solihull", "Sutton Coldfield"]),
    ("BC", "Black Country", ["Dudley", "Sandwell", "Walsall", "Wolverhampton"]),
    ("CW", "Coventry and Warwickshire", ["Coventry", "Warwick", "Nuneaton", "Rugby"]),
    ("HW", "Herefordshire and Worcestershire", ["Hereford", "Worcester", "Redditch",
                                                "Kidderminster"]),
    ("SSOT", "Staffordshire and Stoke-on-Trent", ["Stoke", "Stafford", "Burton", "Cannock"]),
    ("STW", "Shropshire, Telford and Wrekin", ["Shrewsbury", "Telford", "Oswestry"]),
    ("DDI", "Derby and Derbyshire", ["Derby", "Chesterfield", "Buxton"]),
    ("NN", "Nottingham and Nottinghamshire", ["Nottingham", "Mansfield", "Newark",
                                              "Bassetlaw"]),
    ("LIN", "Lincolnshire", ["Lincoln", "Boston", "Grantham"]),
    ("LLR", "Leicester, Leicestershire and Rutland", ["Leicester", "Loughborough", "Rutland"]),
    ("NHT", "Northamptonshire", ["Northampton", "Kettering", "Corby"]),
    ("CM", "Cheshire and Merseyside", ["Liverpool", "Wirral", "Warrington", "Chester",
                                       "St Helens", "Southport", "Halton"]),
    ("GM", "Greater Manchester", ["Manchester", "Salford", "Stockport", "Bolton", "Wigan",
                                  "Oldham", "Bury", "Rochdale", "Tameside", "Trafford"]),
    ("LSC", "Lancashire and South Cumbria", ["Preston", "Blackpool", "Blackburn", "Lancaster",
                                             "Barrow"]),
    ("WY", "West Yorkshire", ["Leeds", "Bradford", "Calderdale", "Kirklees", "Wakefield"]),
    ("SY", "South Yorkshire", ["Sheffield", "Doncaster", "Rotherham", "Barnsley"]),
    ("HNY", "Humber and North Yorkshire", ["Hull", "York", "Scarborough", "Harrogate",
                                           "Grimsby", "Scunthorpe"]),
    ("NENC", "North East and North Cumbria", ["Newcastle", "Sunderland", "Durham", "Teesside",
                                              "Northumberland", "Gateshead", "Carlisle"]),
]
LONDON = {"NCL", "NEL", "NWL", "SEL", "SWL"}
# Ambulance services: (name, the first system of the area it serves).
AMBULANCE = [("London Ambulance Service NHS Trust", "NCL"),
             ("South East Coast Ambulance Service NHS Foundation Trust", "KM"),
             ("South Central Ambulance Service NHS Foundation Trust", "FRM"),
             ("South Western Ambulance Service NHS Foundation Trust", "BSW"),
             ("East of England Ambulance Service NHS Trust", "NW"),
             ("West Midlands Ambulance Service University NHS Foundation Trust", "BSOL"),
             ("East Midlands Ambulance Service NHS Trust", "DDI"),
             ("North West Ambulance Service NHS Trust", "CM"),
             ("Yorkshire Ambulance Service NHS Trust", "WY"),
             ("North East Ambulance Service NHS Foundation Trust", "NENC")]

PCN_NAMES = ["Central", "North", "South", "East", "West", "Riverside", "Parkside", "Valley",
             "Healthy Living", "Together", "Horizon", "Meridian", "Unity", "Crossroads",
             "Heartlands", "Coastal", "Docklands", "Garden City", "Bridge", "Forest", "Hillside",
             "Lakeside", "Canal", "Market Town", "Abbey", "Castle", "Minster", "Greenway"]
VCSE_NAMES = ["Community Voluntary Services", "Carers Network", "Wellbeing Trust",
              "Community Action"]
SPECIALTIES = ["Cancer", "Cardiovascular Disease", "Diabetes", "Respiratory", "Stroke",
               "Maternity", "Children and Young People", "Mental Health",
               "Learning Disability and Autism", "Frailty", "End of Life Care",
               "Urgent and Emergency Care", "Primary Care", "Elective Care", "Digital Health",
               "Medicines Optimisation", "Population Health", "Health Inequalities",
               "Workforce", "Quality Improvement", "Research", "Infection Prevention",
               "Dementia", "Musculoskeletal", "Kidney Care", "Eye Health", "Dermatology",
               "Perinatal Mental Health", "Personalised Care", "Community Services",
               "Diagnostics", "Pathology", "Imaging", "Critical Care", "Neurosciences"]
THEMES = ["Planned Care", "Urgent and Emergency Care", "Children and Young People",
          "Mental Health", "Primary Care", "Population Health", "Community Services", "Quality"]
PROGRAMMES = ["Elective Recovery", "Urgent and Emergency Care", "Digital Transformation",
              "Virtual Wards", "Long-term Conditions", "Community Diagnostics",
              "Children's Health", "Mental Health Transformation", "Medicines Optimisation",
              "Prevention", "Cancer Early Diagnosis", "Core20PLUS5"]

GIVEN = ["Abena", "Aled", "Anjali", "Arlo", "Bethan", "Bilal", "Caitlin", "Cormac", "Daria",
         "Declan", "Efua", "Elin", "Farida", "Finlay", "Gemma", "Gideon", "Harriet", "Hassan",
         "Ines", "Ivor", "Jasmin", "Joel", "Kavita", "Kwame", "Lowri", "Luca", "Maryam", "Milo",
         "Nkechi", "Noah", "Orla", "Oscar", "Pooja", "Piers", "Rania", "Reuben", "Saoirse",
         "Sefton", "Tallulah", "Tariq", "Ulrika", "Umar", "Valentina", "Vaughan", "Wanjiru",
         "Wilf", "Yasmin", "Yannick", "Zainab", "Zac", "Agnieszka", "Bartosz", "Chidi", "Dilys",
         "Esme", "Femi", "Gwen", "Hamza", "Ife", "Jerome"]
FAMILY = ["Abbott", "Achterberg", "Adebayo", "Ainsworth", "Bhattacharya", "Blackwood",
          "Brightwell", "Carmody", "Chaudhry", "Cresswell", "Dacosta", "Dunmore", "Eastwood",
          "Ekwueme", "Fenwick", "Fitzgerald", "Gallagher", "Greenhalgh", "Haddad", "Hartigan",
          "Hussain", "Ibbotson", "Ingram", "Jablonski", "Jeffries", "Kapoor", "Kilbride",
          "Kowalczyk", "Lachlan", "Lister", "Lockwood", "Macaulay", "Mbeki", "Merriman",
          "Nair", "Nettleton", "Ndlovu", "Oakes", "Obi", "Ormerod", "Pargeter", "Pillai",
          "Prendergast", "Quinlan", "Radcliffe", "Rahim", "Rushworth", "Saltmarsh", "Sandhu",
          "Shackleton", "Tadesse", "Thackeray", "Tolhurst", "Upton", "Vance", "Verma",
          "Wadsworth", "Waweru", "Whitaker", "Yeung", "Yilmaz", "Zaman", "Zeller", "Ashby",
          "Brereton", "Coulson", "Delaney", "Entwistle", "Fairclough", "Gorecki", "Holroyd",
          "Iwu", "Jennings", "Kilner", "Lomas", "Mistry", "Newbould", "Osei", "Pickering",
          "Rowbotham"]

# Professions of leaders in non-board roles, weighted as the sector is (still medicine-heavy).
PROFESSIONS = (["doctor"] * 45 + ["nurse"] * 20 + ["ahp"] * 9 + ["pharmacist"] * 6
               + ["psychologist"] * 4 + ["social_worker"] * 4 + ["midwife"] * 3
               + ["healthcare_scientist"] * 2 + ["dentist"] + ["optometrist"]
               + ["public_health"] * 3 + ["physician_associate"] + ["academic"])
HCPC_PREFIXES = ["PH", "OT", "SL", "DT", "PA", "CH", "RA"]

EXTENSION_REASONS = [
    "Extended to see the programme through its next phase.",
    "Extended while the leadership model is reviewed.",
    "Extended to cover recruitment to the substantive post.",
    "Extended following a satisfactory annual appraisal.",
    "Extended to align the term with the end of the financial year.",
]
AGREED_BY = ["Appointee, CMO and partnership executive", "Appointee and the CMO/CNO office",
             "Appointee, CNO office and host organisation",
             "Appointee, partnership executive group and partners"]
ENDED_REASONS = ["Resigned to take up a post elsewhere.", "Stepped down for personal reasons.",
                 "Retired from clinical practice.", "Moved to another leadership role.",
                 "Stepped down on taking up a substantive post in the host organisation.",
                 "Left at the end of a secondment."]
CEASED_REASONS = ["Ceased when the programme closed.",
                  "Role not continued after the review of the leadership model.",
                  "Ceased when funding for the role ended."]

# Lead roles: (role type, share of lead posts, WTE tenths to choose from, chance of job share,
# chance of an honorarium, term in months).
LEAD_ROLES = [
    ("Clinical Lead", 38, [1, 2, 2, 3, 4], 0.15, 0.30, 36),
    ("Clinical and Care Professional Lead", 22, [1, 1, 2], 0.10, 0.20, 24),
    ("Clinical Network Lead", 14, [2, 3, 4], 0.15, 0.30, 36),
    ("Programme Clinical SRO", 14, [2, 3, 4, 5], 0.10, 0.20, 36),
    ("CAG Leader", 12, [3, 4, 5, 6], 0.60, 1.00, 36),
]
BUDGET_GROUPS = {
    "Clinical and Care Director": "Clinical and Care Directors",
    "Clinical Lead": "Clinical Leads",
    "Clinical and Care Professional Lead": "Clinical and Care Professional Leads",
    "Clinical Network Lead": "Network Leads and Programme SROs",
    "Programme Clinical SRO": "Network Leads and Programme SROs",
    "CAG Leader": "CAG Leaders",
}
# Roles whose holders must be of one profession, and so are never filled from another post's
# leaders at random.
PROFESSION_OF_ROLE = {"Chief Medical Officer": "doctor", "Deputy Medical Director": "doctor",
                      "Chief Nursing Officer": "nurse"}
# A tuple, not a set: the plan iterates it, and the order of a set of strings changes from one
# process to the next, which would change the register a seed gives.
TRUST_KINDS = (Organisation.Kind.ACUTE, Organisation.Kind.MENTAL_HEALTH,
               Organisation.Kind.COMMUNITY, Organisation.Kind.AMBULANCE)

# Bodies in every generated system, in the order the writer seats posts on them.
GENERATED_BODIES = [("Integrated Care Board", "board"), ("System Quality Board", "board"),
                    ("Clinical and Care Professional Leadership Group", "group"),
                    ("Clinical Programme Board", "board")]

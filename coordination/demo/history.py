"""The demo city's labelled history: made-up reports, in the city's categories, Chinese and
English, that the classifier learns from so that triage works in ``make run``.

Every text is written for the demo (no real complaint is copied). Each category has a few
ways residents put a title and a description; the demo combines them with the city's places
(a fixed seed: the same history every time) into about 50 reports per category, loaded as
the imported corpus ``qinghe-demo`` and trained into the first classifier version.
"""

from __future__ import annotations

import random
from typing import NamedTuple

from django.conf import settings

from coordination.learning.models import ClassifierVersion, CorpusText
from coordination.learning.services import classifier_train, corpus_import

CORPUS = "qinghe-demo"
PER_CATEGORY_ZH = 36
PER_CATEGORY_EN = 14

PLACES_ZH = (
    "清河路",
    "柳荫街",
    "荷塘小区",
    "松林小区",
    "枫桥东路",
    "滨河花园",
    "新桥北里",
    "文化路",
    "北苑大街",
    "河西市场",
    "河东一巷",
    "人民公园",
    "第二中学门口",
    "东湖小区",
    "南关大街",
    "丰收路口",
    "幸福里小区",
    "清河桥",
    "春晖苑",
    "建设南路",
)
PLACES_EN = (
    "Qinghe Road",
    "Willow Street",
    "Lotus Pond Estate",
    "Pine Grove Estate",
    "Maple Bridge Road",
    "Riverside Garden",
    "Xinqiao North Lane",
    "Culture Road",
    "Beiyuan Avenue",
    "Hexi Market",
    "East Lake Estate",
    "People's Park",
    "South Gate Street",
    "Harvest Road",
    "Spring Court",
)


class Voices(NamedTuple):
    """How residents write about one category: titles and descriptions, in both languages."""

    titles_zh: tuple[str, ...]
    bodies_zh: tuple[str, ...]
    titles_en: tuple[str, ...]
    bodies_en: tuple[str, ...]


# fmt: off
VOICES: dict[str, Voices] = {
    "street-light": Voices(
        ("{p}路灯不亮", "{p}的路灯坏了", "{p}一排路灯晚上全黑", "反映{p}路灯损坏",
         "{p}灯杆倾斜快倒了"),
        ("{p}的路灯已经一个星期不亮了，晚上走路很危险，请尽快维修。",
         "晚上{p}一片漆黑，路灯坏了好几盏，老人孩子出门不安全。",
         "{p}路灯白天一直亮着，晚上反而不亮，浪费电也不安全。",
         "{p}有一根路灯杆被车撞歪了，灯罩掉在地上，希望派人修理。"),
        ("Street light out on {p}", "Broken street lamp at {p}", "Lamp post leaning on {p}"),
        ("The street lights on {p} have been dark for a week and it is unsafe at night.",
         "A lamp post on {p} was hit by a car and the light no longer works.",
         "Several street lamps along {p} flicker and go out every evening."),
    ),
    "garbage-collection": Voices(
        ("{p}垃圾没人清运", "{p}垃圾桶满了", "{p}垃圾堆积发臭", "投诉{p}垃圾清运不及时"),
        ("{p}的垃圾桶已经满了三天，没有人来清运，气味很大，苍蝇很多。",
         "{p}门口垃圾堆成小山，环卫车好几天没来了。",
         "{p}的分类垃圾桶满溢，垃圾散落在路上，请尽快清运。",
         "夏天{p}的生活垃圾一直没拉走，臭味影响居民开窗。"),
        ("Rubbish not collected at {p}", "Overflowing bins on {p}", "Garbage piling up in {p}"),
        ("The bins at {p} have not been emptied for days and the rubbish smells.",
         "Bags of garbage are piled next to the bins on {p}; collection was missed again.",
         "Rubbish spills out of the full bins at {p}, please send the collection truck."),
    ),
    "street-vending": Voices(
        ("{p}占道经营", "{p}摊贩占用人行道", "{p}夜市摆摊堵路", "反映{p}流动摊贩"),
        ("{p}每天晚上很多摊贩在人行道上摆摊，行人只能走机动车道。",
         "{p}的水果摊把货摆到马路上，堵得车辆过不去。",
         "{p}早市摊位占满了路面，垃圾也没人收拾。",
         "{p}路边烧烤摊占道经营，桌椅摆到了盲道上。"),
        ("Street vendors blocking {p}", "Stalls on the pavement at {p}", "Night market blocks {p}"),
        ("Vendors set up stalls on the pavement of {p} every evening and people walk in the road.",
         "Fruit sellers at {p} put their boxes on the road and block the traffic.",
         "A barbecue stall puts tables on the footpath at {p}, covering the tactile paving."),
    ),
    "cooking-fumes": Voices(
        ("{p}饭店油烟扰民", "{p}餐馆油烟直排", "{p}烧烤油烟呛人", "投诉{p}餐饮油烟"),
        ("{p}楼下的饭店没有装油烟净化器，油烟直接排到居民窗户里。",
         "{p}的烧烤店每天晚上烟雾很大，家里不敢开窗。",
         "{p}一家餐馆的排烟管道对着住户，油烟味很重。",
         "{p}小吃店油烟熏黑了外墙，居民多次反映没有改善。"),
        ("Cooking fumes from a restaurant on {p}", "Smoke from barbecue at {p}",
         "Kitchen exhaust blowing into flats at {p}"),
        ("The restaurant below us on {p} vents its kitchen fumes straight into our windows.",
         "A barbecue shop at {p} fills the street with smoke every night.",
         "The exhaust pipe of a noodle shop at {p} points at our balcony; the smell is awful."),
    ),
    "construction-noise-night": Voices(
        ("{p}工地夜间施工", "{p}半夜施工噪音", "{p}工地凌晨打桩", "投诉{p}夜间施工扰民"),
        ("{p}的工地每天晚上十一点以后还在施工，机器声音很大，影响休息。",
         "凌晨两点{p}工地还在打桩，整栋楼的居民都睡不着。",
         "{p}工地夜里运渣土车来回跑，噪音和灰尘都很大。",
         "{p}施工单位夜间浇筑混凝土，没有公示夜间施工许可。"),
        ("Construction noise at night on {p}", "Night works at the {p} building site",
         "Pile driving after midnight at {p}"),
        ("The building site on {p} keeps working after 11 pm and the machines are very loud.",
         "They were pile driving at 2 am at {p}; nobody in our building could sleep.",
         "Trucks go in and out of the {p} site all night with loud construction noise."),
    ),
    "neighbourhood-noise": Voices(
        ("{p}广场舞噪音", "{p}邻居深夜喧哗", "{p}狗叫扰民", "{p}音响声音太大"),
        ("{p}每天晚上广场舞音响开得很大，一直到十点多，老人孩子无法休息。",
         "{p}楼上邻居每天深夜聚会喧哗，敲门也不理。",
         "{p}有户人家的狗整夜叫，邻居们都睡不好。",
         "{p}有人在楼下唱歌放音乐到半夜，请派人管一管。"),
        ("Square dancing music too loud at {p}", "Noisy neighbours at night on {p}",
         "Dog barking all night at {p}"),
        ("The square dancing at {p} plays loud music every evening until ten.",
         "The neighbours upstairs at {p} have loud parties after midnight.",
         "A dog at {p} barks all night and the whole building is kept awake."),
    ),
    "business-noise": Voices(
        ("{p}商铺音响扰民", "{p}空调外机噪音", "{p}KTV噪音", "{p}商店喇叭叫卖"),
        ("{p}的服装店门口音响放得很响，一整天都在循环叫卖。",
         "{p}超市的空调外机对着住户窗户，轰鸣声日夜不停。",
         "{p}的KTV隔音不好，每晚唱到凌晨。",
         "{p}商铺用大喇叭促销，周边居民不堪其扰。"),
        ("Loudspeaker outside a shop on {p}", "Noisy air conditioner units at {p}",
         "Karaoke bar noise at {p}"),
        ("A shop on {p} plays loud advertisements through a speaker all day.",
         "The supermarket's air conditioning units at {p} roar day and night next to our flats.",
         "The karaoke bar at {p} is not soundproofed and the singing goes on until 2 am."),
    ),
    "illegal-parking": Voices(
        ("{p}车辆乱停", "{p}违章停车堵路", "{p}车辆堵住出入口", "投诉{p}占用消防栓停车"),
        ("{p}路边长期有车辆违停，早晚高峰经常堵车。",
         "有车辆停在{p}小区出入口，居民车辆出不去。",
         "{p}人行道上停满了汽车，行人只能走机动车道。",
         "{p}公交站台被私家车占用，公交车无法进站。"),
        ("Illegal parking on {p}", "Car blocking the entrance at {p}",
         "Cars parked on the pavement at {p}"),
        ("Cars park illegally along {p} every day and block the traffic at rush hour.",
         "A car has been blocking the gate of {p} since yesterday; nobody can drive out.",
         "The pavement on {p} is full of parked cars and people walk in the road."),
    ),
    "road-damage": Voices(
        ("{p}路面坑洼", "{p}井盖丢失", "{p}道路塌陷", "{p}路面破损严重"),
        ("{p}路面有好几个大坑，下雨后积水，电动车经过很容易摔倒。",
         "{p}有一个井盖丢了，晚上看不见，非常危险。",
         "{p}路面开裂下沉，汽车经过颠簸得厉害。",
         "{p}人行道砖松动翘起，已经有老人绊倒了。"),
        ("Potholes on {p}", "Missing manhole cover on {p}", "Road surface broken at {p}"),
        ("There are several deep potholes on {p}; scooters fall when they are full of water.",
         "A manhole cover is missing on {p} and it is dangerous in the dark.",
         "The road surface on {p} is cracked and sinking, cars bounce badly."),
    ),
    "bus-service": Voices(
        ("{p}公交班次太少", "建议{p}增设公交站", "{p}公交车不按时", "{p}公交线路调整"),
        ("{p}的公交车要等四十分钟才来一趟，上班族经常迟到。",
         "{p}附近新建小区很多，希望增设一个公交站点。",
         "{p}这路公交车经常不按时发车，司机还跳站。",
         "{p}公交线路调整后老人去医院要换乘两次，希望恢复原线路。"),
        ("Buses too rare at {p}", "Please add a bus stop at {p}", "Bus skips the stop at {p}"),
        ("The bus at {p} comes only every forty minutes and we are late for work.",
         "Many new flats were built near {p}; please add a bus stop.",
         "The bus often skips the stop at {p} and does not keep to the timetable."),
    ),
    "unpaid-wages": Voices(
        ("{p}工地拖欠工资", "公司拖欠我三个月工资", "{p}饭店不发工资", "讨要{p}欠薪"),
        ("我在{p}的工地干了半年，老板拖欠工资两万多元，一直推脱不给。",
         "我们公司已经三个月没发工资了，老板说资金困难，员工生活没着落。",
         "{p}一家饭店辞退我后不结算最后两个月的工资。",
         "{p}装修队老板拖欠十几名工人的工钱，马上要过年了。"),
        ("Unpaid wages at the {p} site", "Employer has not paid me for three months",
         "Restaurant on {p} owes me my salary"),
        ("I worked six months at the building site on {p} and the boss still owes me my wages.",
         "Our company has not paid salaries for three months and keeps making excuses.",
         "A restaurant on {p} fired me and refuses to pay my last two months of wages."),
    ),
    "social-insurance": Voices(
        ("社保转移办不了", "单位不给交社保", "{p}公司未缴纳养老保险", "咨询医保报销"),
        ("我从外地调到清河工作，社保关系转移手续一直办不下来。",
         "我在{p}的公司上班两年，单位一直没有给我缴纳社会保险。",
         "公司只按最低基数给我们交养老保险，和实际工资不符。",
         "退休后医保报销比例是多少，异地就医怎么备案？"),
        ("Employer does not pay my social insurance", "Cannot transfer my pension account",
         "Question about medical insurance reimbursement"),
        ("My employer on {p} has never paid social insurance for me in two years of work.",
         "I moved to Qinghe and the transfer of my pension insurance has been stuck for months.",
         "How do I register for medical insurance reimbursement when I see a doctor elsewhere?"),
    ),
    "property-dispute": Voices(
        ("{p}物业不作为", "{p}物业乱收费", "{p}物业服务差", "投诉{p}物业公司"),
        ("{p}物业费年年涨，可是楼道卫生没人管，绿化也没人维护。",
         "{p}物业强制收取停车管理费，没有任何收费依据。",
         "{p}楼道灯坏了半年，找物业报修一直没人来。",
         "{p}物业擅自把公共绿地改成停车位出租。"),
        ("Property manager at {p} does nothing", "Unfair fees by the property company at {p}",
         "Poor property management at {p}"),
        ("The property company at {p} raises fees every year but nobody cleans the stairwells.",
         "Our property manager at {p} charges a parking fee with no legal basis.",
         "The corridor lights at {p} have been broken for months; the property office ignores us."),
    ),
    "fire-lane-blocked": Voices(
        ("{p}消防通道被堵", "{p}消防通道停满车", "{p}楼道堆放杂物", "{p}消防车进不来"),
        ("{p}的消防通道长期停满私家车，万一着火消防车根本进不来。",
         "{p}楼道里堆满了纸箱和旧家具，堵住了安全出口。",
         "{p}消防通道被地锁和杂物占用，物业不管。",
         "{p}电动车在楼道里充电，还堵着疏散通道。"),
        ("Fire lane blocked at {p}", "Cars parked in the fire lane of {p}",
         "Stairwell full of junk at {p}"),
        ("Cars are always parked in the fire lane of {p}; a fire engine could not get in.",
         "The stairwell at {p} is full of old furniture blocking the emergency exit.",
         "Scooters are charged in the corridor at {p} and block the escape route."),
    ),
    "lift-failure": Voices(
        ("{p}电梯故障", "{p}电梯困人", "{p}电梯经常停运", "{p}电梯异响"),
        ("{p}的电梯这个月坏了三次，老人只能爬十几层楼。",
         "昨天{p}电梯突然停住，把人困在里面半个小时。",
         "{p}电梯运行时有很大的异响和抖动，大家都不敢坐。",
         "{p}电梯年检过期了还在使用，存在安全隐患。"),
        ("Lift out of order at {p}", "People trapped in the lift at {p}", "Lift shaking at {p}"),
        ("The lift at {p} broke down three times this month; old people climb twelve floors.",
         "Yesterday the lift at {p} stopped between floors with people trapped inside.",
         "The lift at {p} shakes and makes loud noises; its inspection has expired."),
    ),
    "building-safety": Voices(
        ("{p}墙体开裂", "{p}外墙瓷砖脱落", "{p}房屋漏水开裂", "{p}阳台有坍塌危险"),
        ("{p}老楼的承重墙出现很长的裂缝，住户很担心房屋安全。",
         "{p}外墙瓷砖一块块往下掉，差点砸到行人。",
         "{p}楼顶防水层坏了，下雨天墙面渗水开裂。",
         "{p}有户人家阳台底板锈蚀严重，随时可能掉下来。"),
        ("Cracks in the walls at {p}", "Tiles falling off the facade at {p}",
         "Balcony about to collapse at {p}"),
        ("Long cracks have appeared in a load-bearing wall of the old building at {p}.",
         "Facade tiles keep falling from the building at {p} and nearly hit people.",
         "A balcony slab at {p} is badly rusted and could fall at any time."),
    ),
    "power-cut": Voices(
        ("{p}停电", "{p}突然断电", "{p}电压不稳", "{p}停电没有通知"),
        ("{p}从中午开始停电，到现在还没来电，冰箱里的东西都坏了。",
         "{p}最近经常突然断电，也没有提前通知。",
         "{p}晚上电压不稳，灯一闪一闪的，电器都不敢用。",
         "{p}整栋楼没电，电梯也停了，请供电公司尽快抢修。"),
        ("Power cut at {p}", "No electricity on {p} since noon", "Unstable voltage at {p}"),
        ("The power has been off at {p} since noon and the food in our fridge is spoiling.",
         "We keep having sudden blackouts at {p} with no notice.",
         "The voltage at {p} is unstable in the evening and the lights flicker."),
    ),
    "water-cut": Voices(
        ("{p}停水", "{p}水压太低", "{p}自来水发黄", "{p}停水没有通知"),
        ("{p}从早上开始停水，没有任何通知，一家人没法做饭。",
         "{p}高层水压太低，一到用水高峰就没水。",
         "{p}自来水发黄有异味，不敢喝。",
         "{p}水管爆裂停水一天了，还没人来修。"),
        ("Water cut at {p}", "Low water pressure at {p}", "Yellow tap water at {p}"),
        ("There has been no water at {p} since this morning and no notice was given.",
         "The water pressure on the upper floors at {p} is too low at peak hours.",
         "The tap water at {p} is yellow and smells strange."),
    ),
    "heating": Voices(
        ("{p}暖气不热", "{p}供暖温度不达标", "{p}暖气漏水", "{p}还没开始供暖"),
        ("{p}的暖气摸着是凉的，屋里只有十四五度，老人孩子都冻感冒了。",
         "已经供暖半个月了，{p}室温还是达不到十八度。",
         "{p}暖气片漏水，找供暖公司一直没人来修。",
         "{p}别的小区都供暖了，我们这里还没有热。"),
        ("Heating not warm at {p}", "Radiators cold at {p}", "Room below 18 degrees at {p}"),
        ("The radiators at {p} are cold and the flat is only 15 degrees.",
         "The heating season started two weeks ago but our rooms at {p} are still cold.",
         "A radiator at {p} is leaking and the heating company does not come."),
    ),
    "food-safety": Voices(
        ("{p}超市卖过期食品", "{p}餐馆卫生差", "{p}无证餐饮", "{p}吃出异物"),
        ("在{p}超市买的牛奶已经过期了，生产日期被重新贴过。",
         "{p}一家餐馆后厨很脏，吃完后全家拉肚子。",
         "{p}有一家小吃店没有营业执照和健康证。",
         "在{p}饭店吃面吃出了头发和虫子。"),
        ("Expired food sold at {p}", "Dirty restaurant kitchen at {p}",
         "Food poisoning after eating at {p}"),
        ("The supermarket at {p} sold us milk that had expired; the date label was changed.",
         "The whole family was sick after eating at a restaurant on {p}; the kitchen is filthy.",
         "A snack shop at {p} has no licence and the food is not safe."),
    ),
    "overcharging": Voices(
        ("{p}商家不明码标价", "{p}价格欺诈", "{p}停车乱收费", "{p}商店多收钱"),
        ("{p}的水果店不标价格，结账时比说好的贵了一倍。",
         "{p}商场打折是先涨价再打折，属于价格欺诈。",
         "{p}停车场收费标准和公示的不一样，多收了钱。",
         "在{p}修车，结账时多出很多没做的项目。"),
        ("No price tags at a shop on {p}", "Overcharged at {p}", "Fake discount at {p}"),
        ("The fruit shop on {p} has no price tags and charged me double at the till.",
         "The mall at {p} raised prices before its 'discount'; this is price fraud.",
         "The car park at {p} charges more than the posted rates."),
    ),
    "product-quality": Voices(
        ("{p}买到假货", "{p}商品质量问题", "{p}家电质量差", "{p}卖假冒名牌"),
        ("在{p}商场买的品牌鞋是假货，商家拒绝退换。",
         "在{p}买的电热水器用了一周就漏电，厂家不管。",
         "{p}一家店卖假冒名牌服装。",
         "{p}买的儿童玩具有刺鼻气味，怀疑材料不合格。"),
        ("Fake goods sold at {p}", "Faulty appliance bought at {p}",
         "Counterfeit brand clothes at {p}"),
        ("The branded shoes I bought at {p} are fake and the shop refuses a refund.",
         "The water heater I bought at {p} leaks electricity after one week.",
         "A toy bought at {p} smells of chemicals; I doubt the material is safe."),
    ),
    "medical-service": Voices(
        ("医院挂号难", "{p}医院服务态度差", "医院乱收费", "{p}卫生院看病排队太久"),
        ("区医院专家号一放出来就没了，网上根本挂不上。",
         "{p}医院的护士态度恶劣，对老人大声呵斥。",
         "看一次门诊收了很多不必要的检查费用。",
         "{p}社区卫生院只有一个医生，看病要排两个小时。"),
        ("Cannot get a hospital appointment", "Rude staff at the clinic on {p}",
         "Unnecessary charges at the hospital"),
        ("Specialist appointments at the district hospital are gone within minutes online.",
         "A nurse at the clinic on {p} shouted at my elderly mother.",
         "The hospital charged us for many tests we did not need."),
    ),
    "pest-control": Voices(
        ("{p}老鼠很多", "{p}蚊虫孳生", "{p}蟑螂泛滥", "{p}垃圾站老鼠成群"),
        ("{p}最近老鼠特别多，晚上在楼道里乱窜，还咬坏了电线。",
         "{p}的积水池蚊子成群，孩子被咬得满身包。",
         "{p}蟑螂泛滥，请组织统一消杀。",
         "{p}垃圾站附近老鼠成群，居民很害怕。"),
        ("Rats everywhere at {p}", "Mosquitoes breeding at {p}",
         "Cockroaches in the building at {p}"),
        ("There are many rats at {p}; they run in the corridors at night.",
         "Stagnant water at {p} is full of mosquitoes and the children are bitten.",
         "Our building at {p} is infested with cockroaches; please arrange pest control."),
    ),
    "school-enrolment": Voices(
        ("孩子入学划片问题", "{p}幼儿园学位不足", "咨询小学报名", "{p}孩子上学难"),
        ("我家住在{p}，孩子今年上小学，为什么被划到很远的学校？",
         "{p}附近只有一所幼儿园，学位太少，孩子排不上。",
         "外地户口孩子在清河上小学需要哪些材料？",
         "{p}新小区没有配套学校，孩子每天要坐一个小时车。"),
        ("School catchment problem at {p}", "No nursery places near {p}",
         "How to enrol my child in primary school"),
        ("We live at {p} but our child was assigned to a school far away.",
         "There is only one nursery near {p} and it has no places left.",
         "What documents does a child from another city need to enrol in primary school here?"),
    ),
    "tutoring": Voices(
        ("{p}培训机构跑路", "培训机构拒绝退费", "{p}违规办学", "校外培训乱收费"),
        ("{p}一家培训机构突然关门，预交的一万多元学费退不了。",
         "报名培训班后不想上了，机构拒绝退还剩余课时费。",
         "{p}有个培训班在居民楼里办学，没有办学许可。",
         "校外培训机构要求一次性缴纳两年学费。"),
        ("Tutoring centre at {p} closed with our fees", "Tutoring school refuses a refund",
         "Unlicensed tutoring at {p}"),
        ("A tutoring centre on {p} closed suddenly and kept our prepaid fees.",
         "The tutoring school refuses to refund the lessons we did not take.",
         "An unlicensed tutoring class runs in a flat at {p}."),
    ),
    "youth-services": Voices(
        ("希望多办青少年活动", "{p}青少年活动中心关闭", "青年就业指导", "孩子心理辅导求助"),
        ("暑假孩子没有地方去，希望团委在{p}多组织一些青少年活动。",
         "{p}的青少年活动中心一直关着门，孩子们没地方活动。",
         "刚毕业的大学生想了解清河的青年就业见习岗位。",
         "孩子最近情绪低落不愿上学，哪里能找到青少年心理辅导？"),
        ("More activities for teenagers near {p}", "Youth centre at {p} is closed",
         "Counselling for my teenager"),
        ("Please organise summer activities for teenagers near {p}; they have nowhere to go.",
         "The youth centre at {p} has been closed for months.",
         "My teenager is depressed and refuses school; where can we find youth counselling?"),
    ),
    "women-children": Voices(
        ("遭受家庭暴力求助", "{p}有儿童被虐待", "女职工权益受侵害", "单亲妈妈求助"),
        ("我长期遭受丈夫殴打，不敢回家，请妇联帮帮我。",
         "{p}邻居家经常传出孩子哭喊声，怀疑孩子被打。",
         "公司因为我怀孕要辞退我，女职工的权益怎么保障？",
         "我是单亲妈妈，带孩子生活困难，想申请帮扶。"),
        ("Help: domestic violence", "Child abused at {p}", "Fired for being pregnant"),
        ("My husband beats me and I am afraid to go home; please help me.",
         "We hear a child screaming next door at {p} every night; we think the child is beaten.",
         "My company wants to dismiss me because I am pregnant."),
    ),
    "volunteering": Voices(
        ("想参加志愿服务", "{p}需要志愿者帮助老人", "党员志愿服务需求", "组织社区志愿活动"),
        ("我是退休党员，想参加社区志愿服务，请问怎么报名？",
         "{p}有很多独居老人，需要志愿者定期上门帮忙。",
         "{p}想组织一次清洁家园志愿活动，需要党员志愿者支持。",
         "大学生暑假想在清河做志愿者，哪里可以登记？"),
        ("I want to volunteer", "Volunteers needed for elderly people at {p}",
         "Volunteer clean-up day at {p}"),
        ("I am a retired party member and want to volunteer in my community; how do I sign up?",
         "Many old people live alone at {p} and need volunteers to visit them.",
         "We want to organise a volunteer clean-up day at {p} and need helpers."),
    ),
    "neighbour-dispute": Voices(
        ("楼上漏水到我家", "{p}邻居占用公共空间", "邻里纠纷调解", "{p}邻居私搭乱建"),
        ("楼上卫生间漏水把我家天花板泡坏了，邻居不肯维修。",
         "{p}邻居把楼道当成自家储物间，堆满东西。",
         "和邻居因为空调外机位置发生纠纷，希望社区调解。",
         "{p}一楼住户私自圈占公共绿地建小院。"),
        ("Water leaking from the flat above", "Neighbour takes over the corridor at {p}",
         "Dispute with my neighbour"),
        ("Water leaks from the bathroom upstairs into our ceiling; the neighbour will not fix it.",
         "A neighbour at {p} uses the shared corridor as his storeroom.",
         "We need the community to mediate a dispute with our neighbour over an air conditioner."),
    ),
}
# fmt: on


# What a caller says when they say little: a few such reports in every category (as the
# dispatchers labelled them) teach the classifier that such words decide nothing.
VAGUE_ZH = (
    "{p}的问题存在很久了，请相关部门尽快处理。",
    "反映{p}的情况，希望有人管一管。",
    "{p}这个事情一直没人解决，请帮忙。",
    "多次反映{p}的问题都没有结果。",
)
VAGUE_EN = (
    "There has been a problem at {p} for a long time, please deal with it.",
    "Nobody has solved the issue at {p} yet; please help.",
)
VAGUE_PER_CATEGORY = 3


def demo_reports() -> list[dict[str, str]]:
    """The demo history: rows of ``title``, ``text``, ``label`` (a category code)."""
    rng = random.Random(12345)  # noqa: S311 - the same made-up history every time
    rows: list[dict[str, str]] = []
    for code in sorted(VOICES):
        voices = VOICES[code]
        for language, count, titles, bodies, places in (
            ("zh", PER_CATEGORY_ZH, voices.titles_zh, voices.bodies_zh, PLACES_ZH),
            ("en", PER_CATEGORY_EN, voices.titles_en, voices.bodies_en, PLACES_EN),
        ):
            seen: set[tuple[str, str]] = set()
            for attempt in range(count * 4):
                if len(seen) >= count:
                    break
                place = places[(attempt * 7 + rng.randrange(len(places))) % len(places)]
                title = rng.choice(titles).format(p=place)
                body = rng.choice(bodies).format(p=place)
                # A resident on the phone gives only a description now and then.
                if language == "zh" and attempt % 6 == 5:
                    title = ""
                # Now and then a resident mentions a second problem in passing: the label
                # stays the main one, and the classifier has some honest doubt to learn.
                if attempt % 9 == 4:
                    aside = VOICES[rng.choice(sorted(VOICES))]
                    extra = rng.choice(aside.bodies_zh if language == "zh" else aside.bodies_en)
                    body = f"{body}{'' if language == 'zh' else ' '}{extra.format(p=place)}"
                if (title, body) in seen:
                    continue
                seen.add((title, body))
                rows.append({"title": title, "text": body, "label": code})
        for n in range(VAGUE_PER_CATEGORY):
            vague = VAGUE_ZH if n % 3 else VAGUE_EN
            places = PLACES_ZH if n % 3 else PLACES_EN
            rows.append(
                {"title": "", "text": rng.choice(vague).format(p=rng.choice(places)), "label": code}
            )
    return rows


def seed_history(*, train: bool | None = None) -> tuple[int, int]:
    """Load the demo history as the corpus ``qinghe-demo`` and, when no classifier version
    exists yet (and ``DEMO_CLASSIFIER`` or ``train`` says so), train the first version on
    it and activate it. Returns (texts in the corpus, versions created)."""
    corpus_import(
        rows=demo_reports(),
        corpus=CORPUS,
        mapping={code: code for code in VOICES},
        label_column="label",
        text_column="text",
        title_column="title",
    )
    texts = CorpusText.objects.filter(corpus=CORPUS).count()
    train = settings.DEMO_CLASSIFIER if train is None else train
    if not train or ClassifierVersion.objects.exists():
        return texts, 0
    classifier_train(
        corpora=[CORPUS],
        history=False,
        activate="always",
        source=ClassifierVersion.Source.DEMO,
        note="seed_demo",
    )
    return texts, 1
